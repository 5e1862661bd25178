using System.Text;
using VexFs.Format.VectorArea;

namespace VexFs.Format;

/// <summary>How to lay out a new filesystem; <see cref="Default"/> suits most devices.</summary>
public sealed record FormatOptions
{
    /// <summary>4 KiB blocks, an inode per 16 KiB, 256-byte inodes, a journal sized to the device, discard first.</summary>
    public static FormatOptions Default { get; } = new();

    /// <summary>The block size: a power of two from 1 KiB to 64 KiB, at least the device's sector size.</summary>
    public int BlockSize { get; init; } = 4096;

    /// <summary>The volume label, at most 64 bytes of UTF-8.</summary>
    public string Label { get; init; } = string.Empty;

    /// <summary>The UUID; a new random one when null.</summary>
    public Guid? Uuid { get; init; }

    /// <summary>The number of inodes wanted (rounded up to whole inode-table blocks per group); when null, <see cref="BytesPerInode"/> decides.</summary>
    public long? InodeCount { get; init; }

    /// <summary>One inode for every this many bytes of device, when <see cref="InodeCount"/> is null.</summary>
    public int BytesPerInode { get; init; } = 16384;

    /// <summary>The inode size: a power of two from 256 bytes to the block size.</summary>
    public int InodeSize { get; init; } = 256;

    /// <summary>The journal size in bytes; when null, about 1/64 of the device within what one group holds.</summary>
    public long? JournalSize { get; init; }

    /// <summary>Discard the whole device before writing (TRIM, or punching holes in an image).</summary>
    public bool Discard { get; init; } = true;

    /// <summary>Vector spaces to declare at format time.</summary>
    public IReadOnlyList<VectorSpaceDefinition> VectorSpaces { get; init; } = [];

    /// <summary>
    /// Multi-mount protection (mkfs -O mmp): for a device several hosts can reach, an MMP block through which a
    /// writer keeps the others from opening the filesystem for writing at the same time.
    /// </summary>
    public bool MultiMountProtection { get; init; }

    /// <summary>
    /// With <see cref="MultiMountProtection"/>, how often in seconds the writer updates the MMP block (1 to 300;
    /// 5 by default, as ext4's). A second opener waits a little over two intervals to see whether it changes.
    /// </summary>
    public int MmpUpdateInterval { get; init; } = 5;

    /// <summary>The creation time stamped on the filesystem; now when null (fixed for reproducible images).</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Explains the first invalid setting, or returns null.</summary>
    public string? Problem()
    {
        if (BlockSize is < 1024 or > 65536 || (BlockSize & (BlockSize - 1)) != 0)
        {
            return $"the block size must be a power of two from 1024 to 65536; {BlockSize} is not";
        }

        if (Encoding.UTF8.GetByteCount(Label) > 64)
        {
            return $"a label is at most 64 bytes of UTF-8; '{Label}' has {Encoding.UTF8.GetByteCount(Label)}";
        }

        if (InodeSize < 256 || InodeSize > BlockSize || (InodeSize & (InodeSize - 1)) != 0)
        {
            return $"the inode size must be a power of two from 256 to the block size; {InodeSize} is not";
        }

        if (InodeCount is < 16)
        {
            return $"at least 16 inodes are needed; {InodeCount} were asked for";
        }

        if (BytesPerInode < 1024 || BytesPerInode > 64 << 20)
        {
            return $"the bytes per inode must be from 1024 to 64 MiB; {BytesPerInode} is not";
        }

        if (MmpUpdateInterval is < 1 or > Records.MmpBlock.MaxInterval)
        {
            return $"the MMP update interval must be from 1 to {Records.MmpBlock.MaxInterval} seconds; {MmpUpdateInterval} is not";
        }

        if (JournalSize is { } journal && journal < 0)
        {
            return $"a journal size cannot be negative ({journal})";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var space in VectorSpaces)
        {
            if (space.Problem() is { } problem)
            {
                return problem;
            }

            if (!names.Add(space.Name))
            {
                return $"the vector space '{space.Name}' is declared twice";
            }
        }

        return null;
    }
}
