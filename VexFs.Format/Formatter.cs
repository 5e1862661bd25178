using System.Buffers;
using VexFs.BlockDevices;
using VexFs.Format.Directories;
using VexFs.Format.Journal;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;

namespace VexFs.Format;

/// <summary>The progress of a long format: a stage, and how far into it.</summary>
/// <param name="Stage">What is being written.</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
public readonly record struct FormatProgress(string Stage, long Done, long Total);

/// <summary>
/// mkfs as a library call: writes a new, empty VexFS filesystem (a root directory and lost+found) onto a
/// device. Groups other than the first are left uninitialised, so formatting a terabyte writes megabytes.
/// </summary>
public static class Formatter
{
    private const int SignatureWipeBytes = 128 * 1024;

    /// <summary>Formats <paramref name="device"/> and returns the layout written.</summary>
    public static FormatLayout Format(BlockDevice device, FormatOptions? options = null, IProgress<FormatProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= FormatOptions.Default;
        if (device.IsReadOnly)
        {
            throw new ArgumentException($"{device.Description} is read-only.", nameof(device));
        }

        var layout = FormatLayout.Plan(device.Length, device.SectorSize, options);
        var geometry = layout.Geometry;
        var sb = layout.Superblock;
        int blockSize = sb.BlockSize;
        byte[] block = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            var buffer = block.AsSpan(0, blockSize);
            if (options.Discard)
            {
                progress?.Report(new FormatProgress("Discarding device blocks", 0, 1));
                device.Discard(0, device.Length);
            }

            // Wipe the signatures of whatever filesystem was there (ext at 1 KiB, XFS at 0, btrfs at 64 KiB).
            var zeros = new byte[Math.Min(SignatureWipeBytes, device.Length)];
            device.Write(0, zeros);

            WriteGroupZero(device, layout, buffer);
            WriteDirectories(device, layout, buffer);
            WriteJournal(device, layout, buffer);
            var spaces = options.VectorSpaces.Select((s, i) => new VectorSpaceRecord(i + 1, s)).ToList();
            VectorSpaceTable.Write(buffer, sb.VectorTableBlock, spaces, spaces.Count + 1, sb.ChecksumSeed);
            WriteBlock(device, sb.VectorTableBlock, buffer);
            if (sb.HasMultiMountProtection)
            {
                MultiMountGuard.CleanBlock(sb.MmpInterval, Environment.MachineName, device.Description).WriteTo(buffer, sb.MmpBlock, sb.ChecksumSeed);
                WriteBlock(device, sb.MmpBlock, buffer);
            }

            var descriptors = Descriptors(layout, device, buffer);
            var copies = geometry.Copies.ToList();
            for (int i = 0; i < copies.Count; i++)
            {
                progress?.Report(new FormatProgress("Writing superblocks and group descriptors", i, copies.Count));
                SuperblockCopies.Write(device, geometry, sb with { CopyGroup = copies[i] }, descriptors, copies[i]);
            }

            progress?.Report(new FormatProgress("Writing superblocks and group descriptors", copies.Count, copies.Count));
            device.Flush();
            return layout;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private static void WriteGroupZero(BlockDevice device, FormatLayout layout, Span<byte> buffer)
    {
        var sb = layout.Superblock;
        var geometry = layout.Geometry;
        var group = layout.Groups[0];

        buffer.Clear();
        Bitmap.SetRange(buffer, 0, group.UsedBlocks - geometry.TailCopyBlocks);
        Bitmap.SetRange(buffer, (int)geometry.TailCopyBlock, geometry.TailCopyBlocks);
        Bitmap.SetRange(buffer, group.Blocks, (8 * sb.BlockSize) - group.Blocks);
        WriteBlock(device, group.BlockBitmap, buffer);

        buffer.Clear();
        Bitmap.SetRange(buffer, 0, FormatLayout.FirstOrdinaryInode);
        Bitmap.SetRange(buffer, sb.InodesPerGroup, (8 * sb.BlockSize) - sb.InodesPerGroup);
        WriteBlock(device, group.InodeBitmap, buffer);

        long now = sb.CreatedNs;
        var root = NewDirectory(UnixModes.Make(UnixFileType.Directory, Convert.ToInt32("755", 8)), 3, layout.RootDirectoryBlock, sb.BlockSize, now, sb.RootInode);
        var lostAndFound = NewDirectory(UnixModes.Make(UnixFileType.Directory, Convert.ToInt32("700", 8)), 2, layout.LostAndFoundBlock, sb.BlockSize, now, FormatLayout.LostAndFoundInode);
        int initialisedBlocks = (FormatLayout.FirstOrdinaryInode + geometry.InodesPerBlock - 1) / geometry.InodesPerBlock;
        for (int b = 0; b < initialisedBlocks; b++)
        {
            buffer.Clear();
            for (int slot = 0; slot < geometry.InodesPerBlock; slot++)
            {
                long number = ((long)b * geometry.InodesPerBlock) + slot + 1;
                var inode = number == sb.RootInode ? root : number == FormatLayout.LostAndFoundInode ? lostAndFound : null;
                inode?.WriteTo(buffer.Slice(slot * sb.InodeSize, sb.InodeSize), number, sb.InodeSize, sb.ChecksumSeed);
            }

            WriteBlock(device, group.InodeTable + b, buffer);
        }
    }

    private static void WriteDirectories(BlockDevice device, FormatLayout layout, Span<byte> buffer)
    {
        var sb = layout.Superblock;
        var lostAndFound = new DirectoryEntry("lost+found", FormatLayout.LostAndFoundInode, UnixFileType.Directory, DirectoryHash.Of("lost+found", sb.HashSeed));
        WriteEmptyDirectory(device, buffer, sb, layout.RootDirectoryBlock, sb.RootInode, sb.RootInode, [lostAndFound]);
        WriteEmptyDirectory(device, buffer, sb, layout.LostAndFoundBlock, FormatLayout.LostAndFoundInode, sb.RootInode, []);
    }

    private static void WriteEmptyDirectory(BlockDevice device, Span<byte> buffer, Superblock sb, long firstBlock, long owner, long parent, IReadOnlyList<DirectoryEntry> entries)
    {
        new DirectoryIndex { IsRoot = true, Owner = owner, Parent = parent, Entries = [new IndexEntry(0, 1)] }.Write(buffer, firstBlock, sb.ChecksumSeed);
        WriteBlock(device, firstBlock, buffer);
        DirectoryLeaf.Write(buffer, firstBlock + 1, owner, entries, sb.ChecksumSeed);
        WriteBlock(device, firstBlock + 1, buffer);
    }

    private static void WriteJournal(BlockDevice device, FormatLayout layout, Span<byte> buffer)
    {
        var sb = layout.Superblock;
        new JournalHeader(1, 1, sb.JournalBlocks, sb.BlockSize, sb.Uuid).Write(buffer, sb.JournalStart, sb.ChecksumSeed);
        WriteBlock(device, sb.JournalStart, buffer);
        buffer.Clear();
        WriteBlock(device, sb.JournalStart + 1, buffer);
    }

    private static Inode NewDirectory(UnixMode mode, int links, long firstBlock, int blockSize, long now, long number)
    {
        var root = new byte[Inode.RootSize];
        new ExtentNode { Owner = number, Extents = [new Extent(0, firstBlock, 2)] }.WriteRoot(root);
        return Inode.New(number, mode, links, now) with { Size = 2L * blockSize, Blocks = 2, Root = root };
    }

    private static byte[] Descriptors(FormatLayout layout, BlockDevice device, Span<byte> buffer)
    {
        var sb = layout.Superblock;
        var table = new byte[(long)layout.Geometry.DescriptorBlocks * sb.BlockSize];
        foreach (var group in layout.Groups)
        {
            GroupDescriptor descriptor;
            if (group.Group == 0)
            {
                device.Read(group.BlockBitmap * sb.BlockSize, buffer);
                uint blockChecksum = Bitmap.Checksum(buffer, 0, sb.ChecksumSeed);
                device.Read(group.InodeBitmap * sb.BlockSize, buffer);
                uint inodeChecksum = Bitmap.Checksum(buffer, 0, sb.ChecksumSeed);
                int used = FormatLayout.FirstOrdinaryInode;
                descriptor = new GroupDescriptor(group.BlockBitmap, group.InodeBitmap, group.InodeTable, group.Blocks - group.UsedBlocks, sb.InodesPerGroup - used, 2, sb.InodesPerGroup - used, GroupFlags.None, blockChecksum, inodeChecksum);
            }
            else
            {
                descriptor = new GroupDescriptor(group.BlockBitmap, group.InodeBitmap, group.InodeTable, group.Blocks - group.UsedBlocks, sb.InodesPerGroup, 0, sb.InodesPerGroup, GroupFlags.BlockBitmapUninit | GroupFlags.InodeBitmapUninit, 0, 0);
            }

            descriptor.WriteTo(table.AsSpan(group.Group * GroupDescriptor.Size, GroupDescriptor.Size), group.Group, sb.ChecksumSeed);
        }

        return table;
    }

    private static void WriteBlock(BlockDevice device, long block, ReadOnlySpan<byte> data) =>
        device.Write(block * data.Length, data);
}
