using System.Buffers.Binary;
using VexFs.Format.Directories;
using VexFs.Format.Records;
using VexFs.Format.VectorArea;
using VexFs.Vectors;

namespace VexFs.Format.Tests;

/// <summary>Every record: its size, the offsets of its fields, a round trip, and rejection of damage.</summary>
public sealed class RecordLayoutTests
{
    private const uint Seed = 0xC0FFEE11;
    private const int Block = 4096;

    private static Superblock SampleSuperblock() => new()
    {
        BlockSizeLog2 = 12,
        BlockCount = 65536,
        FreeBlocks = 60000,
        InodeCount = 16384,
        FreeInodes = 16000,
        BlocksPerGroup = 32768,
        InodesPerGroup = 8192,
        InodeSize = 256,
        State = FileSystemState.Clean,
        GroupCount = 2,
        DescriptorBlocks = 1,
        Uuid = Guid.Parse("01020304-0506-4708-890a-0b0c0d0e0f10"),
        Label = "läbel",
        JournalStart = 516,
        JournalBlocks = 1024,
        VectorTableBlock = 1544,
        RootInode = 2,
        LostAndFoundInode = 11,
        HashSeed = 0x1122334455667788,
        CreatedNs = 1_700_000_000_000_000_000,
        MountCount = 3,
        MaxMountCount = 20,
        ChecksumSeed = Superblock.SeedFor(Guid.Parse("01020304-0506-4708-890a-0b0c0d0e0f10")),
        FirstInode = 11,
    };

    [Fact]
    public void Superblock_layout()
    {
        Assert.Equal(1024, Superblock.Size);
        var sb = SampleSuperblock();
        var b = new byte[Superblock.Size];
        sb.WriteTo(b);
        Assert.Equal(0x53465856u, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(12u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x14)));
        Assert.Equal(65536, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x18)));
        Assert.Equal(32768u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x38)));
        Assert.Equal(256, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x40)));
        Assert.Equal(516, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0xA0)));
        Assert.Equal(0x1122334455667788ul, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0xD0)));
        Assert.Equal(sb.ChecksumSeed, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x100)));
        Assert.Equal(11u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x104)));
        Assert.Equal("läbel"u8.ToArray(), b.AsSpan(0x60, 6).ToArray());
        Assert.Equal(sb, Superblock.ReadFrom(b, 1, 65536L * Block));

        // As docs/format.md says: a plain CRC32C of the first 512 bytes with the checksum field as zeros.
        var sector = b[..0x200];
        sector.AsSpan(0x1FC, 4).Clear();
        Assert.Equal(Checksums.Crc32C.Compute(sector), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x1FC)));
        Assert.NotEqual(Checksums.Crc32C.Compute(b.AsSpan(0, 0x1FC)), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x1FC)));
    }

    [Fact]
    public void Superblock_damage_and_impossible_values_are_rejected()
    {
        var b = new byte[Superblock.Size];
        SampleSuperblock().WriteTo(b);
        b[0x20] ^= 1;
        var e = Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 65536L * Block));
        Assert.Equal("superblock.checksum", e.Field);
        Assert.Equal(1, e.Block);

        var tooBig = new byte[Superblock.Size];
        SampleSuperblock().WriteTo(tooBig);
        Assert.Equal("superblock.block_count", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(tooBig, 1, 1L << 20)).Field);

        (SampleSuperblock() with { Incompatible = (IncompatibleFeatures)0x80 }).WriteTo(b);
        Assert.Contains("newer VexFS", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 65536L * Block)).Message, StringComparison.Ordinal);

        (SampleSuperblock() with { MajorVersion = 2 }).WriteTo(b);
        Assert.Equal("superblock.version", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 65536L * Block)).Field);

        (SampleSuperblock() with { InodesPerGroup = 1 << 30, InodeCount = 2L << 30 }).WriteTo(b);
        Assert.Equal("superblock.inodes_per_group", Assert.Throws<InvalidFileSystemException>(() => Superblock.ReadFrom(b, 1, 65536L * Block)).Field);
    }

    [Fact]
    public void Group_descriptor_layout()
    {
        Assert.Equal(64, GroupDescriptor.Size);
        var geometry = new Geometry(SampleSuperblock());
        var d = new GroupDescriptor(33000, 33001, 33002, 100, 200, 3, 150, GroupFlags.BlockBitmapUninit, 0xAABBCCDD, 0x11223344);
        var b = new byte[GroupDescriptor.Size];
        d.WriteTo(b, 1, geometry.ChecksumSeed);
        Assert.Equal(33002, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10)));
        Assert.Equal(150u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x24)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x28)));
        Assert.Equal(0x11223344u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x30)));
        Assert.Equal(d, GroupDescriptor.ReadFrom(b, 1, 2, geometry));

        // The checksum binds the descriptor to its group number.
        Assert.Throws<InvalidFileSystemException>(() => GroupDescriptor.ReadFrom(b, 0, 2, geometry));
        var absurd = new GroupDescriptor(1L << 40, 33001, 33002, 100, 200, 3, 150, GroupFlags.None, 0, 0);
        absurd.WriteTo(b, 1, geometry.ChecksumSeed);
        Assert.Equal("group descriptor 1.block_bitmap", Assert.Throws<InvalidFileSystemException>(() => GroupDescriptor.ReadFrom(b, 1, 2, geometry)).Field);
    }

    [Fact]
    public void Inode_layout()
    {
        var root = new byte[Inode.RootSize];
        new ExtentNode { Owner = 42, Extents = [new Extent(0, 5000, 8)] }.WriteRoot(root);
        var inode = new Inode
        {
            Mode = UnixModes.Make(UnixFileType.RegularFile, Convert.ToInt32("644", 8)),
            LinkCount = 2,
            Uid = 1000,
            Gid = 100,
            Size = 32768,
            Blocks = 8,
            ModifyTimeNs = -5,
            Generation = 7,
            XattrBlock = 9000,
            Root = root,
            InlineXattrs = [1, 0, 0, (byte)'a'],
        };
        var b = new byte[256];
        inode.WriteTo(b, 42, 256, Seed);
        Assert.Equal(0x81A4, BinaryPrimitives.ReadUInt16LittleEndian(b));
        Assert.Equal(32768, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10)));
        Assert.Equal(-5, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28)));
        Assert.Equal(9000, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x48)));
        Assert.Equal(ExtentNode.Magic, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x60)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0xD0)));
        var back = Inode.ReadFrom(b, 42, 256, Seed, 7);
        Assert.Equal(inode with { Root = back.Root, InlineXattrs = back.InlineXattrs }, back);
        Assert.Equal(root, back.Root);

        Assert.Throws<InvalidFileSystemException>(() => Inode.ReadFrom(b, 43, 256, Seed, 7));
        Assert.True(Inode.ReadFrom(new byte[256], 43, 256, Seed, 7).IsFree);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0xD0), 200);
        Assert.Throws<InvalidFileSystemException>(() => Inode.ReadFrom(b, 42, 256, Seed, 7));
    }

    [Fact]
    public void Extent_node_layout_and_validation()
    {
        Assert.Equal(4, ExtentNode.CapacityOf(Inode.RootSize, isRoot: true));
        Assert.Equal(169, ExtentNode.CapacityOf(Block, isRoot: false));
        var node = new ExtentNode { Owner = 12, Extents = [new Extent(0, 100, 10), new Extent(20, 300, 5, Unwritten: true)] };
        var b = new byte[Block];
        node.WriteBlock(b, 777, Seed);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x02)));
        Assert.Equal(20, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10 + 24)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x10 + 24 + 20)));
        var back = ExtentNode.ReadBlock(b, 777, 12, 1 << 20, Seed);
        Assert.Equal(node.Extents, back.Extents);

        Assert.Equal("extent node.owner", Assert.Throws<InvalidFileSystemException>(() => ExtentNode.ReadBlock(b, 777, 13, 1 << 20, Seed)).Field);
        Assert.Throws<InvalidFileSystemException>(() => ExtentNode.ReadBlock(b, 778, 12, 1 << 20, Seed));

        var overlapping = new ExtentNode { Owner = 12, Extents = [new Extent(0, 100, 10), new Extent(5, 300, 5)] };
        overlapping.WriteBlock(b, 777, Seed);
        Assert.Contains("overlaps", Assert.Throws<InvalidFileSystemException>(() => ExtentNode.ReadBlock(b, 777, 12, 1 << 20, Seed)).Message, StringComparison.Ordinal);

        var outside = new ExtentNode { Owner = 12, Extents = [new Extent(0, (1 << 20) - 2, 10)] };
        outside.WriteBlock(b, 777, Seed);
        Assert.Contains("outside", Assert.Throws<InvalidFileSystemException>(() => ExtentNode.ReadBlock(b, 777, 12, 1 << 20, Seed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_leaf_layout_and_validation()
    {
        const ulong HashSeed = 99;
        var entries = new[] { "b", "a", "ünïcode" }
            .Select((n, i) => new DirectoryEntry(n, 20 + i, UnixFileType.RegularFile, DirectoryHash.Of(n, HashSeed)))
            .OrderBy(e => e, Comparer<DirectoryEntry>.Create(DirectoryEntry.Compare)).ToList();
        var b = new byte[Block];
        DirectoryLeaf.Write(b, 500, 2, entries, Seed);
        Assert.Equal(DirectoryLeaf.Magic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(4)));
        Assert.Equal(entries.Sum(e => e.EncodedSize), BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(6)));
        Assert.Equal(entries[0].Hash, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x10)));
        Assert.Equal(8, b[0x10 + 16]);
        Assert.Equal(entries, DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed, 1000));
        Assert.Equal(entries.Skip(1), DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed, 1000, fromHash: entries[1].Hash));
        Assert.Empty(DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed, 1000, fromHash: entries[^1].Hash + 1));
        Assert.Equal(entries, DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed + 1, 1000, checkHashes: false));

        Assert.Equal("directory leaf.entry[0].hash", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed + 1, 1000)).Field);
        Assert.Equal("directory leaf.entry[0].inode", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed, 10)).Field);
        var unsorted = entries.AsEnumerable().Reverse().ToList();
        DirectoryLeaf.Write(b, 500, 2, unsorted, Seed);
        Assert.Contains("out of order", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.Read(b, 500, 2, Seed, HashSeed, 1000)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_index_layout_and_lookup()
    {
        var index = new DirectoryIndex { IsRoot = true, Owner = 2, Parent = 2, Entries = [new(0, 1), new(1000, 2), new(5000, 3)] };
        var b = new byte[Block];
        index.Write(b, 600, Seed);
        Assert.Equal(DirectoryIndex.RootMagic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x18)));
        Assert.Equal(1000ul, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x20 + 16)));
        var back = DirectoryIndex.Read(b, 600, root: true, 2, Seed, 4, 100);
        Assert.Equal(index.Entries, back.Entries);
        Assert.Equal(0, back.Find(999));
        Assert.Equal(1, back.Find(1000));
        Assert.Equal(2, back.Find(ulong.MaxValue));
        Assert.Throws<InvalidFileSystemException>(() => DirectoryIndex.Read(b, 600, root: true, 2, Seed, 3, 100));
        Assert.Throws<InvalidFileSystemException>(() => DirectoryIndex.Read(b, 600, root: false, 2, Seed, 4, 100));
    }

    [Fact]
    public void Attribute_block_layout()
    {
        var attributes = new SortedDictionary<string, byte[]>(StringComparer.Ordinal) { ["user.b"] = [1, 2, 3], ["user.a"] = [] };
        var b = new byte[Block];
        XattrBlock.Write(b, 900, 5, attributes, Seed);
        Assert.Equal(XattrBlock.Magic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal((uint)XattrEntries.EncodedSize(attributes), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4)));
        Assert.Equal(6, b[0x10]);
        Assert.Equal("user.a"u8.ToArray(), b.AsSpan(0x13, 6).ToArray());
        Assert.Equal(attributes, XattrBlock.Read(b, 900, 5, Seed));
        Assert.Throws<InvalidFileSystemException>(() => XattrBlock.Read(b, 900, 6, Seed));
        b[0x11] = 0xFF;
        Assert.Throws<InvalidFileSystemException>(() => XattrBlock.Read(b, 900, 5, Seed));
    }

    [Fact]
    public void Vector_table_layout()
    {
        var spaces = new List<VectorSpaceRecord> { new(1, new VectorSpaceDefinition("text", 384, VectorMetric.Cosine), 1234, 1240, 1250, 3) };
        var b = new byte[Block];
        VectorSpaceTable.Write(b, 1544, spaces, 2, Seed);
        Assert.Equal(VectorSpaceTable.Magic, BinaryPrimitives.ReadUInt32LittleEndian(b));
        Assert.Equal(384, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x10 + 0x34)));
        Assert.Equal(2, b[0x10 + 0x36]);
        Assert.Equal(1250, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10 + 0x38)));
        Assert.Equal(1234, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10 + 0x40)));
        Assert.Equal(1240, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10 + 0x48)));
        Assert.Equal(3, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x10 + 0x50)));
        Assert.Equal(spaces, VectorSpaceTable.Read(b, 1544, Seed, 1 << 20).Spaces);
        Assert.Throws<InvalidFileSystemException>(() => VectorSpaceTable.Read(b, 1544, Seed, 1000));
        b[0x10 + 0x35] = 0x7F;
        Assert.Throws<InvalidFileSystemException>(() => VectorSpaceTable.Read(b, 1544, Seed, 1 << 20));
        Assert.Empty(VectorSpaceTable.Salvage(b, 1544, 1 << 20).Spaces);
    }

    [Fact]
    public void A_salvaged_vector_table_never_keeps_an_id_that_leaves_none_for_the_next_space()
    {
        // Found by the convergence test: id 2^31-1 made the salvaged next id overflow, so the table fsck wrote
        // back was as invalid as the one it read.
        var spaces = new List<VectorSpaceRecord>
        {
            new(int.MaxValue, new VectorSpaceDefinition("text", 384, VectorMetric.Cosine), 1234, 0, 0, 0),
            new(1, new VectorSpaceDefinition("image", 512, VectorMetric.L2), 1240, 0, 0, 0),
        };
        var b = new byte[Block];
        VectorSpaceTable.Write(b, 1544, spaces, 2, Seed);
        Assert.Throws<InvalidFileSystemException>(() => VectorSpaceTable.Read(b, 1544, Seed, 1 << 20));
        var (salvaged, nextId) = VectorSpaceTable.Salvage(b, 1544, 1 << 20);
        Assert.Equal(["image"], salvaged.Select(s => s.Definition.Name));
        Assert.Equal(2, nextId);
        VectorSpaceTable.Write(b, 1544, salvaged, nextId, Seed);
        Assert.Equal(salvaged, VectorSpaceTable.Read(b, 1544, Seed, 1 << 20).Spaces);
    }

    [Fact]
    public void Vector_changes_layout()
    {
        Assert.Equal((Block - 4) * 8L, VectorChanges.BitsPerBlock(Block));
        var b = new byte[Block];
        VectorChanges.WriteEmpty(b, 900, Seed);
        long row = VectorChanges.BitsPerBlock(Block) + 19;
        var (fileBlock, index, bit) = VectorChanges.Locate(row, Block);
        Assert.Equal((1L, 2, (byte)0x08), (fileBlock, index, bit));
        VectorChanges.Mark(b, 900, row, Seed);
        Assert.Equal(0x08, b[2]);
        VectorChanges.Verify(b, 900, Seed);
        var rows = new List<long>();
        Assert.True(VectorChanges.Collect(b, 1, row + 1, rows));
        Assert.Equal([row], rows);
        Assert.False(VectorChanges.Collect(b, 1, row, rows));
        Assert.Throws<InvalidFileSystemException>(() => VectorChanges.Verify(b, 901, Seed));
    }

    [Fact]
    public void A_symbolic_link_longer_than_path_max_is_corruption_not_an_allocation()
    {
        var b = new byte[256];
        var link = Inode.New(12, UnixModes.Make(UnixFileType.SymbolicLink, 0x1FF), 1, 0);
        (link with { Size = Inode.MaxSymlinkBytes }).WriteTo(b, 12, 256, Seed);
        Assert.Equal(Inode.MaxSymlinkBytes, Inode.ReadFrom(b, 12, 256, Seed, 40).Size);
        (link with { Size = 1L << 40 }).WriteTo(b, 12, 256, Seed);
        var e = Assert.Throws<InvalidFileSystemException>(() => Inode.ReadFrom(b, 12, 256, Seed, 40));
        Assert.Contains("inode 12.size", e.Message);
    }
}
