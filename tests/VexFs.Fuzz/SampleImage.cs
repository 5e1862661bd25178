using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;

namespace VexFs.Fuzz;

/// <summary>
/// The small filesystems the targets are built around and the seeds are cut from: formatted by our own mkfs
/// with a fixed UUID (so checksum and hash seeds stay the same from run to run), holding a wide directory
/// (hash index), a fragmented file (extent node blocks), extended attributes inline and in a block, a
/// symbolic link and a vector space.
/// </summary>
internal static class SampleImage
{
    public const int BlockSize = 1024;
    public const long Length = 1 << 20;

    private static readonly Lazy<(MemoryBlockDevice Clean, MemoryBlockDevice NeedsRecovery)> Images = new(() => Build(entries: 60, fragments: 40));
    private static readonly Lazy<(MemoryBlockDevice Clean, MemoryBlockDevice NeedsRecovery)> SmallImages = new(() => Build(entries: 3, fragments: 3));

    /// <summary>The filesystem cleanly unmounted.</summary>
    public static MemoryBlockDevice Clean => Images.Value.Clean;

    /// <summary>The same filesystem cut off before its unmount, its journal holding transactions to replay.</summary>
    public static MemoryBlockDevice NeedsRecovery => Images.Value.NeedsRecovery;

    /// <summary>A filesystem of the same shape with a few entries only: whole-image inputs of a few KiB.</summary>
    public static MemoryBlockDevice SmallClean => SmallImages.Value.Clean;

    /// <summary>The small filesystem cut off before its unmount.</summary>
    public static MemoryBlockDevice SmallNeedsRecovery => SmallImages.Value.NeedsRecovery;

    public static Superblock Superblock { get; } = Format.SuperblockCopies.Read(Clean);

    public static Geometry Geometry { get; } = new(Superblock);

    public static uint Seed => Superblock.ChecksumSeed;

    private static (MemoryBlockDevice, MemoryBlockDevice) Build(int entries, int fragments)
    {
        var device = new MemoryBlockDevice(Length);
        var format = new FormatOptions
        {
            BlockSize = BlockSize,
            Uuid = new Guid("5d1c3a52-7f0e-4b8a-9c61-2e4f8a0b7d13"),
            Timestamp = DateTimeOffset.UnixEpoch,
            InodeCount = 128,
            JournalSize = 64 * BlockSize,
            VectorSpaces = [VectorSpaceDefinition.Parse("text:4:cosine"), VectorSpaceDefinition.Parse("image:8:l2:f32")],
        };
        var options = VexFileSystemOptions.Default with { CommitInterval = Timeout.InfiniteTimeSpan };
        var fs = VexFileSystem.Format(device, format, options, leaveOpen: true);
        fs.CreateDirectory("/wide");
        for (int i = 0; i < entries; i++)
        {
            using var small = fs.OpenFile($"/wide/entry-{i:D3}-with-a-longer-name", FileMode.CreateNew);
            small.Write([(byte)i]);
        }

        using (var fragmented = fs.OpenFile("/fragmented", FileMode.CreateNew))
        {
            for (int block = 0; block < fragments; block++)
            {
                fragmented.Position = block * 2L * BlockSize;
                fragmented.Write(new byte[] { 0xA5, (byte)block });
            }
        }

        fs.SetXattr("/fragmented", "user.small", [1, 2, 3]);
        fs.SetXattr("/fragmented", "user.large", new byte[600]);
        fs.CreateSymbolicLink("/link", "wide/entry-007-with-a-longer-name");
        fs.Dispose();
        ClearStaleJournal(device);
        var clean = device.Snapshot();

        fs = VexFileSystem.Open(device, options, leaveOpen: true);
        using (var late = fs.OpenFile("/late", FileMode.CreateNew))
        {
            late.Write(new byte[3 * BlockSize]);
        }

        fs.Delete("/wide/entry-000-with-a-longer-name");
        fs.Flush();
        var needsRecovery = device.Snapshot();
        fs.Dispose();
        return (clean, needsRecovery);
    }

    /// <summary>
    /// Zeroes the journal after its header once it has been checkpointed, as a discard may leave it: the
    /// transactions of the workload above are home already, and the images stay a few KiB as fuzz inputs.
    /// </summary>
    private static void ClearStaleJournal(MemoryBlockDevice device)
    {
        var sb = Format.SuperblockCopies.Read(device);
        device.Write((sb.JournalStart + 1) * BlockSize, new byte[(sb.JournalBlocks - 1) * BlockSize]);
    }
}
