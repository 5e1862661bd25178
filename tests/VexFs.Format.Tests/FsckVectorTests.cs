using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format.Check;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;

namespace VexFs.Format.Tests;

/// <summary>
/// A vector space's rows in the system inode its table entry names: an image with rows checks clean and counts
/// them; each kind of damage is found by a check that writes nothing, repaired by one run, and gone after it.
/// </summary>
public sealed class FsckVectorTests
{
    private const int BlockSize = 4096;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };

    /// <summary>
    /// The rows written: a vector for each file but in row 2, which is free. A large row (over a block) takes
    /// blocks of its own, so that "wide" covers rows across block boundaries.
    /// </summary>
    private static readonly int[] FileOfRow = [0, 1, -1, 2, 3];

    [Theory]
    [InlineData("text:8:l2")]
    [InlineData("wide:2000:cosine")]
    public void An_image_with_rows_checks_clean_and_counts_them(string space)
    {
        using var image = Build(space);
        var report = FileSystemChecker.Check(image.Device, CheckOnly);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        Assert.Equal(CheckReport.ExitClean, report.ExitCode);
        Assert.Equal(4, report.Vectors);
        Assert.Equal(4, report.Files);
    }

    [Fact]
    public void A_row_with_a_broken_checksum_is_freed()
    {
        using var image = Build();
        ChangeRows(image, data => data[RowOffset(image, 0) + VectorRows.HeaderSize] ^= 0x5A);
        AssertFoundThenRepaired(image, "checksum mismatch", vectorsLeft: 3);
        AssertRowFree(image, 0);
    }

    [Fact]
    public void A_large_row_broken_in_its_second_block_is_freed()
    {
        using var image = Build("wide:2000:cosine");
        ChangeRows(image, data => data[RowOffset(image, 3) + BlockSize + 100] ^= 0x5A);
        AssertFoundThenRepaired(image, "checksum mismatch", vectorsLeft: 3);
        AssertRowFree(image, 3);
    }

    [Fact]
    public void A_row_owned_by_a_free_inode_is_freed()
    {
        using var image = Build();
        RewriteRow(image, 0, image.RowsInode + 1, VectorOf(0, image.Space.Dimension));
        AssertFoundThenRepaired(image, "is not in use", vectorsLeft: 3);
        AssertRowFree(image, 0);
    }

    [Fact]
    public void A_row_owned_by_a_directory_is_freed()
    {
        using var image = Build();
        RewriteRow(image, 1, image.Directory, VectorOf(1, image.Space.Dimension));
        AssertFoundThenRepaired(image, "is a Directory, not a regular file", vectorsLeft: 3);
        AssertRowFree(image, 1);
        AssertFilesIntact(image);
    }

    [Fact]
    public void A_second_row_of_the_same_owner_is_freed_and_the_first_kept()
    {
        using var image = Build();
        RewriteRow(image, 3, image.Files[0], VectorOf(3, image.Space.Dimension));
        AssertFoundThenRepaired(image, "has a vector in row 0 already", vectorsLeft: 3);
        AssertRowFree(image, 3);
    }

    [Fact]
    public void A_free_row_that_is_not_all_zero_is_zeroed()
    {
        using var image = Build();
        ChangeRows(image, data => data[RowOffset(image, 2) + VectorRows.HeaderSize] = 1);
        AssertFoundThenRepaired(image, "a free row must be all zero", vectorsLeft: 4);
        AssertRowFree(image, 2);
    }

    [Fact]
    public void A_row_with_a_component_that_is_not_finite_is_freed()
    {
        using var image = Build();
        var vector = VectorOf(1, image.Space.Dimension);
        vector[5] = float.NaN;
        RewriteRow(image, 1, image.Files[1], vector);
        AssertFoundThenRepaired(image, "a component is not finite", vectorsLeft: 3);
        AssertRowFree(image, 1);
    }

    [Fact]
    public void A_system_inode_no_space_names_is_cleared()
    {
        using var image = Build();
        ChangeTable(image.Device, s => s with { RowsInode = 0 });
        AssertFoundThenRepaired(image, $"inode {image.RowsInode} is a system inode that no vector space names", vectorsLeft: 0);
        Assert.Null(FileSystemEditor.Open(image.Device).TryReadInUse(image.RowsInode));
        AssertFilesIntact(image);
    }

    [Theory]
    [InlineData("free", "as its rows inode, which is not in use")]
    [InlineData("file", "as its rows inode, a RegularFile that is not a system inode")]
    [InlineData("outside", "is outside the inode table")]
    public void A_table_entry_naming_anything_but_a_system_inode_loses_its_rows_but_keeps_its_space(string named, string expected)
    {
        using var image = Build();
        long number = named switch
        {
            "free" => image.RowsInode + 1,
            "file" => image.Files[0],
            _ => SuperblockCopies.Read(image.Device).InodeCount + 1,
        };
        ChangeTable(image.Device, s => s with { RowsInode = number });
        AssertFoundThenRepaired(image, expected, vectorsLeft: 0);
        var space = Assert.Single(ReadTable(image.Device));
        Assert.Equal((image.Space, 0L), (space.Definition, space.RowsInode));
        Assert.Null(FileSystemEditor.Open(image.Device).TryReadInUse(image.RowsInode));
        AssertFilesIntact(image);
    }

    [Fact]
    public void An_inode_the_table_names_twice_keeps_its_first_reference()
    {
        using var image = Build();
        ChangeTable(image.Device, s => s with { IndexInode = s.RowsInode });
        var sb = SuperblockCopies.Read(image.Device);
        SuperblockCopies.WriteRecord(image.Device, sb with { ReadOnlyCompatible = sb.ReadOnlyCompatible | ReadOnlyCompatibleFeatures.SavedVectorIndex });
        AssertFoundThenRepaired(image, $"names inode {image.RowsInode} as its index inode, which the table names twice", vectorsLeft: 4);
        var space = Assert.Single(ReadTable(image.Device));
        Assert.Equal((image.RowsInode, 0L), (space.RowsInode, space.IndexInode));
    }

    [Fact]
    public void A_rows_inode_size_that_is_not_whole_blocks_of_rows_is_rounded_down()
    {
        using var image = Build("wide:2000:cosine");
        ChangeInode(image.Device, image.RowsInode, i => i with { Size = i.Size + BlockSize });
        AssertFoundThenRepaired(image, "not whole blocks of rows", vectorsLeft: 4);
        Assert.Equal(RowsBlocks(image.Space) * BlockSize, FileSystemEditor.Open(image.Device).ReadInode(image.RowsInode).Size);
    }

    [Fact]
    public void A_system_inode_is_in_no_directory_and_has_one_link()
    {
        using var image = Build();
        var editor = FileSystemEditor.Open(image.Device);
        editor.Link(image.Directory, "rows", image.RowsInode);
        editor.Commit();
        var found = AssertFoundThenRepaired(image, "links to system inode", vectorsLeft: 4);
        Assert.Contains(found.Findings, f => f.Problem.Contains($"system inode {image.RowsInode} has link count 2", StringComparison.Ordinal));
        Assert.DoesNotContain(found.Findings, f => f.Problem.Contains("lost+found", StringComparison.Ordinal));
        Assert.Equal(1, FileSystemEditor.Open(image.Device).ReadInode(image.RowsInode).LinkCount);
    }

    [Fact]
    public void A_rows_inode_far_larger_than_its_blocks_costs_only_its_blocks()
    {
        // Rows past the blocks the inode maps are holes: free rows, never read.
        using var image = Build();
        ChangeInode(image.Device, image.RowsInode, i => i with { Size = 1L << 50 });
        var report = FileSystemChecker.Check(image.Device, CheckOnly);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        Assert.Equal(4, report.Vectors);
    }

    /// <summary>The image, the space's id and seed, and where its rows inode and (contiguous) blocks are.</summary>
    private sealed record Image(MemoryBlockDevice Device, VectorSpaceDefinition Space, int SpaceId, uint Seed, long Directory, long[] Files, long RowsInode, long RowsBlock) : IDisposable
    {
        public void Dispose() => Device.Dispose();
    }

    /// <summary>Formats an image with one space, makes a directory of four files, and gives each file a vector (see <see cref="FileOfRow"/>).</summary>
    private static Image Build(string space = "text:8:l2")
    {
        var definition = VectorSpaceDefinition.Parse(space);
        var device = new MemoryBlockDevice(64L << 20);
        Formatter.Format(device, new FormatOptions { Uuid = Guid.Parse("31111111-2222-4333-8444-555555555555"), Timestamp = DateTimeOffset.UnixEpoch, VectorSpaces = [definition] });
        var editor = FileSystemEditor.Open(device);
        long dir = editor.CreateDirectory(editor.RootInode, "docs");
        long[] files = [.. Enumerable.Range(0, 4).Select(i => editor.CreateFile(dir, $"file{i}", Patterns.Random(3_000 + (i * 1_000), seed: i)))];
        var record = ReadTable(device)[0];
        var (rowsInode, rowsBlock) = WriteRowsInode(device, editor, record, [.. FileOfRow.Select(f => f < 0 ? 0 : files[f])]);
        editor.Commit();
        ChangeTable(device, s => s with { RowsInode = rowsInode });
        return new Image(device, definition, record.Id, editor.Superblock.ChecksumSeed, dir, files, rowsInode, rowsBlock);
    }

    /// <summary>
    /// Makes a space's rows inode as the engine keeps it: a system inode (a regular file, one link, in no
    /// directory) whose contiguous blocks hold one row per owner (0: a free row), its size whole blocks.
    /// </summary>
    internal static (long Inode, long FirstBlock) WriteRowsInode(BlockDevice device, FileSystemEditor editor, VectorSpaceRecord space, long[] owners)
    {
        int dimension = space.Definition.Dimension;
        long blocks = VectorRows.FileBlocks(owners.Length, dimension, BlockSize);
        long number = editor.Allocator.AllocateInode(directory: false, goalGroup: 0);
        var (start, length) = editor.Allocator.AllocateBlocks(goal: 0, (int)blocks);
        Assert.Equal(blocks, length);

        var data = new byte[blocks * BlockSize];
        for (int row = 0; row < owners.Length; row++)
        {
            var (fileBlock, offset) = VectorRows.Locate(row, dimension, BlockSize);
            VectorRows.Write(data.AsSpan((int)(fileBlock * BlockSize) + offset), space.Id, row, owners[row], VectorOf(row, dimension), editor.Superblock.ChecksumSeed);
        }

        device.Write(start * BlockSize, data);
        var root = new byte[Inode.RootSize];
        new ExtentNode { Owner = number, Extents = [new Extent(0, start, (int)blocks)] }.WriteRoot(root);
        var inode = Inode.New(number, UnixModes.Make(UnixFileType.RegularFile, 0), 1, 0) with
        {
            Flags = InodeFlags.System,
            Size = blocks * BlockSize,
            Blocks = blocks,
            Root = root,
        };
        new InodeTable(new DeviceBlockStore(device, BlockSize), editor.Allocator).Write(number, inode);
        return (number, start);
    }

    private static float[] VectorOf(int row, int dimension) => [.. Enumerable.Range(0, dimension).Select(i => (row + 1) * (i + 1) / (float)dimension)];

    private static long RowsBlocks(VectorSpaceDefinition space) => VectorRows.FileBlocks(FileOfRow.Length, space.Dimension, BlockSize);

    private static int RowOffset(Image image, long row)
    {
        var (fileBlock, offset) = VectorRows.Locate(row, image.Space.Dimension, BlockSize);
        return (int)(fileBlock * BlockSize) + offset;
    }

    /// <summary>Changes the rows inode's blocks on the device in place.</summary>
    private static void ChangeRows(Image image, Action<byte[]> change)
    {
        var data = new byte[RowsBlocks(image.Space) * BlockSize];
        image.Device.Read(image.RowsBlock * BlockSize, data);
        change(data);
        image.Device.Write(image.RowsBlock * BlockSize, data);
    }

    /// <summary>Rewrites a row whole, with a checksum to match: damage that only a look at its owner or its values finds.</summary>
    private static void RewriteRow(Image image, long row, long owner, float[] vector) =>
        ChangeRows(image, data => VectorRows.Write(data.AsSpan(RowOffset(image, row)), image.SpaceId, row, owner, vector, image.Seed));

    private static void AssertRowFree(Image image, long row) =>
        ChangeRows(image, data => Assert.False(data.AsSpan(RowOffset(image, row), VectorRows.Size(image.Space.Dimension)).ContainsAnyExcept((byte)0), $"row {row} is not free"));

    private static void AssertFilesIntact(Image image)
    {
        var editor = FileSystemEditor.Open(image.Device);
        Assert.Equal(image.Files, editor.List(image.Directory).Select(e => e.Inode).Order());
    }

    internal static List<VectorSpaceRecord> ReadTable(BlockDevice device)
    {
        var sb = SuperblockCopies.Read(device);
        var block = new byte[BlockSize];
        device.Read(sb.VectorTableBlock * BlockSize, block);
        return VectorSpaceTable.Read(block, sb.VectorTableBlock, sb.ChecksumSeed, sb.InodeCount).Spaces;
    }

    /// <summary>Rewrites every entry of the vector table, with the table's checksum to match.</summary>
    internal static void ChangeTable(BlockDevice device, Func<VectorSpaceRecord, VectorSpaceRecord> change)
    {
        var sb = SuperblockCopies.Read(device);
        var block = new byte[BlockSize];
        device.Read(sb.VectorTableBlock * BlockSize, block);
        var (spaces, nextId) = VectorSpaceTable.Read(block, sb.VectorTableBlock, sb.ChecksumSeed, sb.InodeCount);
        VectorSpaceTable.Write(block, sb.VectorTableBlock, [.. spaces.Select(change)], nextId, sb.ChecksumSeed);
        device.Write(sb.VectorTableBlock * BlockSize, block);
    }

    private static void ChangeInode(BlockDevice device, long number, Func<Inode, Inode> change)
    {
        var editor = FileSystemEditor.Open(device);
        var inodes = new InodeTable(new DeviceBlockStore(device, BlockSize), editor.Allocator);
        inodes.Write(number, change(inodes.Read(number)));
    }

    private static CheckReport AssertFoundThenRepaired(Image image, string expected, long vectorsLeft)
    {
        var device = image.Device;
        CheckReport found;
        using (var snapshot = device.Snapshot())
        {
            found = FileSystemChecker.Check(device, CheckOnly);
            Assert.Equal(CheckReport.ExitUncorrected, found.ExitCode);
            Assert.Contains(found.Findings, f => f.Problem.Contains(expected, StringComparison.Ordinal));
            Assert.True(device.ContentEquals(snapshot), "a check-only run wrote to the device");
        }

        var repaired = FileSystemChecker.Check(device, Fix);
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.All(repaired.Findings, f => Assert.True(f.Fixed, f.ToString()));

        var again = FileSystemChecker.Check(device, CheckOnly);
        Assert.True(again.IsClean, "after the repair: " + string.Join(Environment.NewLine, again.Findings));
        Assert.Equal(CheckReport.ExitClean, again.ExitCode);
        Assert.Equal(vectorsLeft, again.Vectors);
        return found;
    }
}
