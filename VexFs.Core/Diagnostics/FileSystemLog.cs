using Microsoft.Extensions.Logging;

namespace VexFs.Core.Diagnostics;

/// <summary>The filesystem's log messages (category <c>VexFs.Core.VexFileSystem</c>), one event id each.</summary>
internal static partial class FileSystemLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Device}: replayed {Transactions} journal transactions ({Blocks} blocks written home) after an unclean shutdown")]
    public static partial void Recovered(ILogger logger, string device, int transactions, int blocks);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Device}: the journal ended in a damaged transaction, which was not replayed: {Damage}")]
    public static partial void DroppedDamagedTail(ILogger logger, string device, string damage);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Device}: reclaimed {Count} orphan inodes (files deleted while still open when the filesystem last stopped)")]
    public static partial void ReclaimedOrphans(ILogger logger, string device, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Device}: a device error latched the filesystem read-only; its superblock records errors (run fsck)")]
    public static partial void Latched(ILogger logger, string device, Exception error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Device}: a check is due ({Reason}); run fsck")]
    public static partial void CheckDue(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{Device}: the saved index of vector space '{Space}' could not be used; it is built again from the rows")]
    public static partial void SavedIndexUnusable(ILogger logger, string device, string space, Exception reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "{Device}: another node took the filesystem (multi-mount protection); latched read-only, nothing more is written to it")]
    public static partial void TakenOver(ILogger logger, string device, Exception error);
}
