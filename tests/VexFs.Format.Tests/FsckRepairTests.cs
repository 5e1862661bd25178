using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>
/// Damage that keeps every checksum valid (a field rewritten and its record's checksum recomputed): fsck must
/// judge it against the layout and against what is in use, repair it in one run, and leave an image the
/// library can write to without harm.
/// </summary>
public sealed class FsckRepairTests
{
    private const int BlockSize = 4096;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };

    private static MemoryBlockDevice Populated(long size = 256L << 20)
    {
        var device = new MemoryBlockDevice(size);
        Formatter.Format(device, new FormatOptions { Uuid = Guid.Parse("21111111-2222-4333-8444-555555555555"), Timestamp = DateTimeOffset.UnixEpoch });
        var editor = FileSystemEditor.Open(device);
        long dir = editor.CreateDirectory(editor.RootInode, "docs");
        for (int i = 0; i < 20; i++)
        {
            editor.CreateFile(dir, $"file{i}", Patterns.Random(5_000 + (i * 3_000), seed: i));
        }

        editor.CreateFile(editor.RootInode, "top", Patterns.Random(70_000, seed: 99));
        editor.Commit();
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
        return device;
    }

    private static void RewriteDescriptor(BlockDevice device, int group, Func<GroupDescriptor, GroupDescriptor> change)
    {
        var sb = SuperblockCopies.Read(device);
        var geometry = new Geometry(sb);
        int perBlock = BlockSize / GroupDescriptor.Size;
        long block = geometry.DescriptorTableBlock(0) + (group / perBlock);
        var buffer = new byte[BlockSize];
        device.Read(block * BlockSize, buffer);
        var slot = buffer.AsSpan((group % perBlock) * GroupDescriptor.Size, GroupDescriptor.Size);
        change(GroupDescriptor.ReadFrom(slot, group, block, geometry)).WriteTo(slot, group, sb.ChecksumSeed);
        device.Write(block * BlockSize, buffer);
    }

    private static void AssertOneRepairConverges(MemoryBlockDevice device)
    {
        var repaired = FileSystemChecker.Check(device, Fix);
        Assert.True(repaired.IsClean, "repair: " + string.Join(Environment.NewLine, repaired.Findings));
        var again = FileSystemChecker.Check(device, CheckOnly);
        Assert.True(again.IsClean, "after one repair: " + string.Join(Environment.NewLine, again.Findings));
    }

    private static void AssertTreeIntact(BlockDevice device)
    {
        var editor = FileSystemEditor.Open(device);
        long dir = editor.Resolve("/docs");
        Assert.Equal(20, editor.List(dir).Count());
        Assert.Contains(editor.List(editor.RootInode), e => e.Name == "top");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Uninit_flags_on_a_used_group_are_repaired_in_one_run_and_lose_nothing(int flagBits)
    {
        var flags = (GroupFlags)flagBits;
        using var device = Populated();
        RewriteDescriptor(device, 0, d => d with { Flags = d.Flags | flags });
        AssertOneRepairConverges(device);
        AssertTreeIntact(device);
    }

    [Fact]
    public void The_allocator_does_not_trust_an_uninit_flag_on_a_used_group()
    {
        using var device = Populated();
        RewriteDescriptor(device, 0, d => d with { Flags = d.Flags | GroupFlags.BlockBitmapUninit | GroupFlags.InodeBitmapUninit });
        var editor = FileSystemEditor.Open(device);
        long dir = editor.CreateDirectory(editor.RootInode, "new");
        editor.CreateFile(dir, "data", Patterns.Random(200_000, seed: 5));
        editor.Commit();
        AssertTreeIntact(device);
        var report = FileSystemChecker.Check(device, CheckOnly);
        Assert.DoesNotContain(report.Findings, f => f.Area is "inode" or "directory" or "links" or "connectivity");
    }

    [Fact]
    public void The_allocator_never_hands_out_the_groups_own_metadata_or_the_journal()
    {
        using var device = Populated();

        // A block bitmap that says every block of group 0 is free, with its checksum to match.
        var sb = SuperblockCopies.Read(device);
        var d = Allocator.ReadDescriptors(new DeviceBlockStore(device, BlockSize), sb)[0];
        var empty = new byte[BlockSize];
        device.Write(d.BlockBitmap * BlockSize, empty);
        RewriteDescriptor(device, 0, g => g with { BlockBitmapChecksum = Bitmap.Checksum(empty, 0, sb.ChecksumSeed) });
        var editor = FileSystemEditor.Open(device);
        Assert.Throws<InvalidFileSystemException>(() => editor.CreateFile(editor.RootInode, "x", Patterns.Random(10_000, seed: 1)));
    }

    [Fact]
    public void A_misplaced_inode_table_is_put_back_where_the_layout_has_it()
    {
        using var device = Populated();
        RewriteDescriptor(device, 0, d => d with { InodeTable = d.InodeTable + 3 });
        AssertOneRepairConverges(device);
        AssertTreeIntact(device);
    }

    [Fact]
    public void A_misplaced_bitmap_is_put_back_where_the_layout_has_it()
    {
        using var device = Populated();
        RewriteDescriptor(device, 1, d => d with { BlockBitmap = d.BlockBitmap + 40 });
        AssertOneRepairConverges(device);
        AssertTreeIntact(device);
    }

    [Fact]
    public void A_root_that_is_not_a_directory_is_recreated_and_the_tree_reconnected()
    {
        using var device = Populated();
        var editor = FileSystemEditor.Open(device);
        long docs = editor.Resolve("/docs");
        var store = new DeviceBlockStore(device, BlockSize);
        var table = new InodeTable(store, new Allocator(store, editor.Superblock, Allocator.ReadDescriptors(store, editor.Superblock)));
        table.Write(editor.RootInode, table.Read(editor.RootInode) with { Mode = UnixModes.Make(UnixFileType.RegularFile, Convert.ToInt32("644", 8)) });

        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Contains(found.Findings, f => f.Problem.Contains("root", StringComparison.Ordinal));
        AssertOneRepairConverges(device);

        var after = FileSystemEditor.Open(device);
        Assert.Equal(UnixFileType.Directory, after.ReadInode(after.RootInode).Mode.Type());
        long lostAndFound = after.Resolve("/lost+found");
        Assert.Contains(after.List(lostAndFound), e => e.Inode == docs);
        Assert.Equal(20, after.List(docs).Count());
        after.CreateFile(after.RootInode, "written", Patterns.Random(10_000, seed: 3));
        after.Commit();
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Fact]
    public void A_superblock_that_names_no_lost_and_found_gets_a_new_one()
    {
        // Found by fuzzing: fsck -y made "inode 0" a directory and crashed.
        using var device = Populated();
        var sb = SuperblockCopies.Read(device);
        long old = sb.LostAndFoundInode;
        SuperblockCopies.WriteRecord(device, sb with { LostAndFoundInode = 0 });

        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Contains(found.Findings, f => f.Problem.Contains("lost+found", StringComparison.Ordinal));
        AssertOneRepairConverges(device);

        // The root's lost+found is named again.
        var after = FileSystemEditor.Open(device);
        Assert.Equal(old, after.Superblock.LostAndFoundInode);

        // Without one in the root either, a new one is made.
        after.Unlink(after.RootInode, "lost+found");
        after.Commit();
        SuperblockCopies.WriteRecord(device, SuperblockCopies.Read(device) with { LostAndFoundInode = 0 });
        AssertOneRepairConverges(device);
        var remade = FileSystemEditor.Open(device);
        Assert.NotEqual(0, remade.Superblock.LostAndFoundInode);
        Assert.Equal(remade.Superblock.LostAndFoundInode, remade.Resolve("/lost+found"));
        Assert.Equal(20, remade.List(remade.Resolve("/docs")).Count());
    }

    [Fact]
    public void Restoring_the_superblock_from_a_backup_forces_the_full_check()
    {
        using var device = Populated();
        var sb = SuperblockCopies.Read(device);
        var d = Allocator.ReadDescriptors(new DeviceBlockStore(device, BlockSize), sb)[0];
        var bitmap = new byte[BlockSize];
        device.Read(d.BlockBitmap * BlockSize, bitmap);
        bitmap[3000] ^= 0x01;
        device.Write(d.BlockBitmap * BlockSize, bitmap);
        var sector = new byte[1024];
        device.Read(Superblock.ByteOffset, sector);
        sector[0x20] ^= 0x5A;
        device.Write(Superblock.ByteOffset, sector);

        var repaired = FileSystemChecker.Check(device, new CheckOptions { Repair = true });
        Assert.False(repaired.SkippedClean);
        Assert.Contains(repaired.Findings, f => f.Area == "bitmap");
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Fact]
    public void A_detached_subtree_is_reported_once_not_once_per_directory_in_it()
    {
        using var device = Populated();
        var editor = FileSystemEditor.Open(device);
        long sub = editor.CreateDirectory(editor.Resolve("/docs"), "sub");
        editor.CreateDirectory(sub, "deeper");
        editor.Commit();
        device.Write(editor.Map(editor.RootInode, 0) * BlockSize, new byte[BlockSize]);

        var report = FileSystemChecker.Check(device, CheckOnly);
        var lines = report.Findings.Select(f => f.ToString()).ToList();
        Assert.True(lines.Distinct().Count() == lines.Count, string.Join(Environment.NewLine, lines));
    }

    [Fact]
    public void A_one_group_filesystem_is_restored_from_its_tail_copy_after_garbage_over_its_start()
    {
        using var device = Populated(64L << 20);
        Assert.Equal(1, SuperblockCopies.Read(device).GroupCount);
        device.Write(0, Patterns.Random(8192, seed: 77));

        var repaired = FileSystemChecker.Check(device, new CheckOptions { Repair = true });
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
        AssertTreeIntact(device);
    }

    [Fact]
    public void A_one_group_image_made_before_the_tail_copy_still_checks_clean_and_takes_writes()
    {
        using var device = GoldenImageTests.ReadCompressed(Path.Combine(AppContext.BaseDirectory, "Golden", "one-group-v1.0.img.gz"), 64L << 20);
        Assert.False(SuperblockCopies.Read(device).ReadOnlyCompatible.HasFlag(ReadOnlyCompatibleFeatures.TailCopy));
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
        var editor = FileSystemEditor.Open(device);
        editor.CreateFile(editor.RootInode, "new", Patterns.Random(300_000, seed: 2));
        editor.Commit();
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Fact]
    public void Losing_the_root_and_lost_and_found_together_converges_in_one_run()
    {
        using var device = Populated();
        var editor = FileSystemEditor.Open(device);

        // Inodes 1-16: the root, lost+found and /docs itself; the files of /docs and /top survive.
        device.Write(editor.Allocator.Group(0).InodeTable * BlockSize, new byte[BlockSize]);

        AssertOneRepairConverges(device);
        var after = FileSystemEditor.Open(device);
        Assert.Equal(UnixFileType.Directory, after.ReadInode(after.RootInode).Mode.Type());
        Assert.True(after.List(after.Resolve("/lost+found")).Count() >= 15);
    }

    [Fact]
    public void Unknown_read_only_compatible_features_are_an_operational_error_not_a_clean_check()
    {
        using var device = Populated();
        var sector = new byte[1024];
        device.Read(Superblock.ByteOffset, sector);
        (Superblock.ReadFrom(sector, 1, device.Length) with { ReadOnlyCompatible = (ReadOnlyCompatibleFeatures)0xFF000003 }).WriteTo(sector);
        device.Write(Superblock.ByteOffset, sector);

        var report = FileSystemChecker.Check(device, Fix);
        Assert.Equal(CheckReport.ExitOperationalError, report.ExitCode);
        Assert.DoesNotContain('\n', report.OperationalError!);
    }

    [Theory]
    [InlineData(64, "journal blocks")]
    [InlineData(64, "journal start")]
    [InlineData(64, "hash seed")]
    [InlineData(256, "journal blocks")]
    [InlineData(256, "vector table")]
    public void A_primary_superblock_whose_layout_its_backups_contradict_takes_theirs(int megabytes, string field)
    {
        // Found by the convergence test: a journal size changed with the checksum recomputed made fsck -y reset
        // the journal to the wrong size and clear the inodes it then seemed to overlap, and never converge.
        using var device = Populated((long)megabytes << 20);
        var sb = SuperblockCopies.Read(device);
        SuperblockCopies.WriteRecord(device, field switch
        {
            "journal blocks" => sb with { JournalBlocks = sb.JournalBlocks + 255 },
            "journal start" => sb with { JournalStart = sb.JournalStart + 3 },
            "hash seed" => sb with { HashSeed = sb.HashSeed ^ 0xFF00 },
            _ => sb with { VectorTableBlock = sb.VectorTableBlock + 1 },
        });

        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Contains(found.Findings, f => f.Area == "superblock" && f.Problem.Contains("another layout", StringComparison.Ordinal));
        AssertOneRepairConverges(device);
        Assert.True(SuperblockCopies.Read(device).SameLayout(sb));
        AssertTreeIntact(device);
    }

    [Fact]
    public void A_backup_superblock_that_contradicts_the_primary_is_rewritten_from_it()
    {
        // One group: the primary and its tail copy alone, a tie that the journal header breaks.
        using var device = Populated(64L << 20);
        var sb = SuperblockCopies.Read(device);
        var geometry = new Geometry(sb);
        long tail = geometry.SuperblockByteOffset(geometry.Copies.Single(c => c != 0));
        SuperblockCopies.WriteRecord(device, SuperblockCopies.Read(device, tail) with { JournalBlocks = sb.JournalBlocks - 7 }, tail);

        Assert.Contains(FileSystemChecker.Check(device, CheckOnly).Findings, f => f.Area == "superblock");
        AssertOneRepairConverges(device);
        Assert.True(SuperblockCopies.Read(device, tail).SameLayout(sb));
        Assert.True(SuperblockCopies.Read(device).SameLayout(sb));
        AssertTreeIntact(device);
    }

    [Fact]
    public void An_orphan_list_that_starts_at_a_linked_file_is_cleared_for_good()
    {
        // Found by the convergence test: the repair cleared the head in memory and never wrote the superblock.
        using var device = Populated();
        long top = FileSystemEditor.Open(device).Resolve("/top");
        SuperblockCopies.WriteRecord(device, SuperblockCopies.Read(device) with { OrphanHead = top });

        Assert.Contains(FileSystemChecker.Check(device, CheckOnly).Findings, f => f.Area == "orphans");
        AssertOneRepairConverges(device);
        Assert.Equal(0, SuperblockCopies.Read(device).OrphanHead);
        AssertTreeIntact(device);
    }

    [Fact]
    public void A_file_marked_as_an_orphan_but_not_on_the_list_is_unmarked_and_can_then_be_deleted()
    {
        // Found by the convergence test: fsck passed such an image, and the library then refused to delete the
        // file ("orphan inode is not on the orphan list").
        using var device = Populated();
        var editor = FileSystemEditor.Open(device);
        long top = editor.Resolve("/top");
        var table = new InodeTable(new DeviceBlockStore(device, BlockSize), editor.Allocator);
        table.Write(top, table.Read(top) with { Flags = table.Read(top).Flags | InodeFlags.Orphan });

        Assert.Contains(FileSystemChecker.Check(device, CheckOnly).Findings, f => f.Area == "orphans" && f.Problem.Contains($"inode {top}", StringComparison.Ordinal));
        AssertOneRepairConverges(device);
        AssertTreeIntact(device);
        var after = FileSystemEditor.Open(device);
        var data = new byte[70_000];
        Assert.Equal(data.Length, after.Read(top, 0, data));
        Assert.Equal(Patterns.Random(70_000, seed: 99), data);
        after.Unlink(after.RootInode, "top");
        after.Commit();
        Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
    }

    [Theory]
    [InlineData(3, 0x00)]
    [InlineData(1, 0xFF)]
    public void An_attribute_name_the_library_would_refuse_is_corruption(int at, byte value)
    {
        var bytes = new byte[64];
        int length = XattrEntries.Write(bytes, [new KeyValuePair<string, byte[]>("user.big", [1, 2, 3])]);
        Assert.Single(XattrEntries.Read(bytes.AsSpan(0, length), 7, "attributes"));
        bytes[XattrEntries.EntryHeaderSize + at] = value;
        Assert.Throws<InvalidFileSystemException>(() => XattrEntries.Read(bytes.AsSpan(0, length), 7, "attributes"));
    }
}
