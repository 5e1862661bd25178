using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format.Check;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>
/// Images damaged in one known way each: fsck must find the damage without crashing, a repair must fix it,
/// and a second check must come back clean.
/// </summary>
public sealed class CorruptionTests
{
    private const int BlockSize = 4096;
    private static readonly CheckOptions CheckOnly = new() { Force = true };
    private static readonly CheckOptions Fix = new() { Force = true, Repair = true };

    private static (MemoryBlockDevice Device, FormatLayout Layout) Fresh()
    {
        var device = new MemoryBlockDevice(256L << 20);
        var layout = Formatter.Format(device, new FormatOptions { Uuid = Guid.Parse("11111111-2222-4333-8444-555555555555"), Timestamp = DateTimeOffset.UnixEpoch });
        return (device, layout);
    }

    private static void FlipByte(BlockDevice device, long byteOffset)
    {
        var sector = new byte[device.SectorSize];
        long at = byteOffset / sector.Length * sector.Length;
        device.Read(at, sector);
        sector[byteOffset - at] ^= 0x5A;
        device.Write(at, sector);
    }

    private static void AssertFoundThenRepaired(MemoryBlockDevice device, string expectedArea)
    {
        using var snapshot = device.Snapshot();
        var found = FileSystemChecker.Check(device, CheckOnly);
        Assert.Contains(found.Findings, f => f.Area == expectedArea);
        Assert.Equal(CheckReport.ExitUncorrected, found.ExitCode);
        Assert.True(device.ContentEquals(snapshot), "a check-only run wrote to the device");

        var repaired = FileSystemChecker.Check(device, Fix);
        Assert.Equal(CheckReport.ExitCorrected, repaired.ExitCode);
        Assert.All(repaired.Findings, f => Assert.True(f.Fixed, f.ToString()));

        var again = FileSystemChecker.Check(device, CheckOnly);
        Assert.True(again.IsClean, "second run: " + string.Join(Environment.NewLine, again.Findings));
        Assert.Equal(CheckReport.ExitClean, again.ExitCode);
    }

    [Fact]
    public void A_damaged_primary_superblock_is_restored_from_a_backup()
    {
        var (device, _) = Fresh();
        using (device)
        {
            FlipByte(device, Superblock.ByteOffset + 0x20);
            AssertFoundThenRepaired(device, "superblock");
        }
    }

    [Fact]
    public void A_damaged_group_descriptor_is_rebuilt()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Geometry.DescriptorTableBlock(0) * BlockSize) + GroupDescriptor.Size + 0x18);
            AssertFoundThenRepaired(device, "group");
        }
    }

    [Fact]
    public void A_damaged_block_bitmap_is_rewritten()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Groups[0].BlockBitmap * BlockSize) + 4000);
            AssertFoundThenRepaired(device, "bitmap");
        }
    }

    [Fact]
    public void A_damaged_inode_is_cleared_and_what_pointed_at_it_is_mended()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            // lost+found is inode 11, in slot 10 of the first inode-table block.
            FlipByte(device, (layout.Groups[0].InodeTable * BlockSize) + (10 * 256) + 0x10);
            AssertFoundThenRepaired(device, "inode");
        }
    }

    [Fact]
    public void A_damaged_directory_leaf_is_found()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, ((layout.RootDirectoryBlock + 1) * BlockSize) + 0x20);
            AssertFoundThenRepaired(device, "directory");
        }
    }

    [Fact]
    public void A_damaged_directory_index_is_rebuilt_from_its_leaves()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.RootDirectoryBlock * BlockSize) + 0x22);
            AssertFoundThenRepaired(device, "directory");
            var report = FileSystemChecker.Check(device, CheckOnly);
            Assert.Equal(2, report.Directories);
        }
    }

    [Fact]
    public void A_damaged_journal_header_is_rewritten()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.JournalStart * BlockSize) + 0x09);
            AssertFoundThenRepaired(device, "journal");
        }
    }

    [Fact]
    public void A_damaged_vector_table_is_salvaged()
    {
        var (device, layout) = Fresh();
        using (device)
        {
            FlipByte(device, (layout.Superblock.VectorTableBlock * BlockSize) + 0x06);
            AssertFoundThenRepaired(device, "vectors");
        }
    }

    [Fact]
    public void A_wrong_free_count_in_the_superblock_is_corrected()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var sector = new byte[1024];
            device.Read(Superblock.ByteOffset, sector);
            var sb = Superblock.ReadFrom(sector, 1, device.Length);
            (sb with { FreeBlocks = sb.FreeBlocks - 7 }).WriteTo(sector);
            device.Write(Superblock.ByteOffset, sector);
            AssertFoundThenRepaired(device, "superblock");
        }
    }

    [Fact]
    public void Something_that_is_not_a_filesystem_is_an_operational_error()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        device.Write(0, Enumerable.Repeat((byte)0xEE, 1 << 20).ToArray());
        var report = FileSystemChecker.Check(device, CheckOnly);
        Assert.Equal(CheckReport.ExitOperationalError, report.ExitCode);
        Assert.Contains("no valid VexFS superblock", report.OperationalError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_image_is_an_operational_error_or_a_finding_never_a_crash()
    {
        var (device, _) = Fresh();
        using (device)
        {
            using var truncated = new MemoryBlockDevice(8L << 20);
            var buffer = new byte[8 << 20];
            device.Read(0, buffer);
            truncated.Write(0, buffer);
            var report = FileSystemChecker.Check(truncated, CheckOnly);
            Assert.NotEqual(CheckReport.ExitClean, report.ExitCode);
        }
    }

    [Fact]
    public void Random_single_byte_damage_to_metadata_is_found_or_harmless_and_never_crashes()
    {
        var (pristine, layout) = Fresh();
        using (pristine)
        {
            // A tree worth damaging: directories of several leaves, files, links.
            var editor = FileSystemEditor.Open(pristine);
            long big = editor.CreateDirectory(editor.RootInode, "big");
            long small = editor.CreateDirectory(big, "small");
            long file = editor.CreateFile(small, "file", Patterns.Random(20_000, seed: 5));
            for (int i = 0; i < 600; i++)
            {
                editor.Link(big, $"name-{i}", file);
            }

            editor.CreateSymbolicLink(editor.RootInode, "link", "big/small/file");
            editor.Commit();

            var metadata = new List<long>
            {
                Superblock.ByteOffset / BlockSize, layout.Geometry.DescriptorTableBlock(0), layout.Groups[0].BlockBitmap,
                layout.Groups[0].InodeBitmap, layout.Groups[0].InodeTable, layout.JournalStart, layout.Superblock.VectorTableBlock,
            };
            foreach (long dir in new[] { editor.RootInode, FormatLayout.LostAndFoundInode, big, small })
            {
                long blocks = editor.ReadInode(dir).Size / BlockSize;
                for (long b = 0; b < blocks; b++)
                {
                    metadata.Add(editor.Map(dir, b));
                }
            }

            var random = new Random(20261125);
            for (int trial = 0; trial < 300; trial++)
            {
                using var device = pristine.Snapshot();
                long block = metadata[random.Next(metadata.Count)];
                int offset = block == Superblock.ByteOffset / BlockSize ? 1024 + random.Next(1024) : random.Next(BlockSize);
                FlipByte(device, (block * BlockSize) + offset);
                var report = FileSystemChecker.Check(device, Fix);
                Assert.NotEqual(CheckReport.ExitOperationalError, report.ExitCode);
                var again = FileSystemChecker.Check(device, CheckOnly);
                Assert.True(again.IsClean, $"trial {trial}: block {block} byte {offset}: {string.Join("; ", again.Findings)}");
            }
        }
    }

    [Fact]
    public void A_zero_length_journal_makes_the_primary_superblock_invalid_and_a_backup_restores_it()
    {
        var (device, _) = Fresh();
        using (device)
        {
            RewriteSuperblock(device, sb => sb with { JournalBlocks = 0 });
            AssertFoundThenRepaired(device, "superblock");
        }
    }

    [Fact]
    public void A_cross_linked_block_is_found_and_the_later_claimant_cleared()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var editor = FileSystemEditor.Open(device);
            long first = editor.CreateFile(editor.RootInode, "first", Enumerable.Repeat((byte)1, 8192).ToArray());
            long second = editor.CreateFile(editor.RootInode, "second", Enumerable.Repeat((byte)2, 8192).ToArray());
            editor.Commit();
            long shared = editor.Map(first, 1);
            RewriteInode(device, second, inode => WithExtents(inode, second, new Extent(0, shared, 2)));
            AssertFoundThenRepaired(device, "inode");
            var after = FileSystemEditor.Open(device);
            Assert.Equal(first, after.Resolve("/first"));
            Assert.Null(after.Lookup(after.RootInode, "second"));
        }
    }

    [Fact]
    public void An_absurd_extent_length_is_found()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var editor = FileSystemEditor.Open(device);
            long file = editor.CreateFile(editor.RootInode, "file", new byte[4096]);
            editor.Commit();
            long block = editor.Map(file, 0);
            RewriteInode(device, file, inode => WithExtents(inode, file, new Extent(0, block, int.MaxValue)));
            AssertFoundThenRepaired(device, "inode");
        }
    }

    [Fact]
    public void Device_files_check_clean_and_one_with_bytes_past_its_device_number_is_found()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var editor = FileSystemEditor.Open(device);
            long node = editor.CreateSpecialFile(editor.RootInode, "null", UnixFileType.CharacterDevice, 0x1B6, 1, 3);
            editor.CreateSpecialFile(editor.RootInode, "pipe", UnixFileType.Fifo, 0x1A4, 0, 0);
            editor.CreateSpecialFile(editor.RootInode, "socket", UnixFileType.Socket, 0x1ED, 0, 0);
            editor.Commit();
            Assert.True(FileSystemChecker.Check(device, CheckOnly).IsClean);
            RewriteInode(device, node, inode =>
            {
                var root = inode.Root.ToArray();
                root[20] = 1;
                return inode with { Root = root };
            });
            AssertFoundThenRepaired(device, "inode");
        }
    }

    [Fact]
    public void A_directory_entry_with_a_wrong_hash_is_found_and_the_directory_rebuilt()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var editor = FileSystemEditor.Open(device);
            long dir = editor.CreateDirectory(editor.RootInode, "dir");
            long file = editor.CreateFile(dir, "file", new byte[10]);
            editor.Commit();
            var sb = editor.Superblock;
            long leaf = editor.Map(dir, 1);
            var block = new byte[BlockSize];
            DirectoryLeaf.Write(block, leaf, dir, [new DirectoryEntry("file", file, UnixFileType.RegularFile, 12345)], sb.ChecksumSeed);
            device.Write(leaf * BlockSize, block);
            AssertFoundThenRepaired(device, "directory");
            Assert.Equal(file, FileSystemEditor.Open(device).Resolve("/lost+found/#" + file));
        }
    }

    [Fact]
    public void A_cycle_in_the_directory_tree_is_broken_into_lost_and_found()
    {
        var (device, _) = Fresh();
        using (device)
        {
            var editor = FileSystemEditor.Open(device);
            long a = editor.CreateDirectory(editor.RootInode, "a");
            long b = editor.CreateDirectory(a, "b");
            editor.Commit();

            // Unlink a from the root and make it a child of its own child: a -> b -> a.
            var store = new DeviceBlockStore(device, BlockSize);
            var allocator = new Allocator(store, editor.Superblock, Allocator.ReadDescriptors(store, editor.Superblock));
            var inodes = new InodeTable(store, allocator);
            var directories = new DirectoryEditor(store, allocator, new ExtentTree(store, allocator));
            directories.Remove(editor.RootInode, inodes.Read(editor.RootInode), "a");
            inodes.Write(b, directories.Insert(b, inodes.Read(b), "a", a, UnixFileType.Directory));
            allocator.WriteChanges();

            AssertFoundThenRepaired(device, "connectivity");
            // One of the two goes to lost+found and keeps the other below it; the cycle is gone.
            var after = FileSystemEditor.Open(device);
            var rescued = Assert.Single(after.List(after.Superblock.LostAndFoundInode));
            long other = rescued.Inode == a ? b : a;
            Assert.Equal(other, Assert.Single(after.List(rescued.Inode)).Inode);
            Assert.Empty(after.List(other));
        }
    }

    private static void RewriteSuperblock(BlockDevice device, Func<Superblock, Superblock> change)
    {
        var sector = new byte[1024];
        device.Read(Superblock.ByteOffset, sector);
        change(Superblock.ReadFrom(sector, 1, device.Length)).WriteTo(sector);
        device.Write(Superblock.ByteOffset, sector);
    }

    private static void RewriteInode(BlockDevice device, long number, Func<Inode, Inode> change)
    {
        var sb = FileSystemEditor.Open(device).Superblock;
        var store = new DeviceBlockStore(device, BlockSize);
        var table = new InodeTable(store, new Allocator(store, sb, Allocator.ReadDescriptors(store, sb)));
        table.Write(number, change(table.Read(number)));
    }

    private static Inode WithExtents(Inode inode, long owner, params Extent[] extents)
    {
        var root = new byte[Inode.RootSize];
        new ExtentNode { Owner = owner, Extents = [.. extents] }.WriteRoot(root);
        return inode with { Root = root };
    }
}
