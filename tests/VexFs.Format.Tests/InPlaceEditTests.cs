using System.Text;
using VexFs.Format.Directories;
using VexFs.Format.Records;

namespace VexFs.Format.Tests;

/// <summary>The in-place edits of directory leaves and the byte-level extent lookup agree with the decoders and encoders.</summary>
public sealed class InPlaceEditTests
{
    private const uint Seed = 0x5EED5EED;
    private const ulong HashSeed = 7;
    private const int Block = 4096;
    private const long BlockNumber = 300;
    private const long Owner = 12;

    [Fact]
    public void Random_inserts_and_removes_in_place_leave_the_bytes_a_fresh_encoding_would()
    {
        var random = new Random(1234);
        var leaf = new byte[Block];
        DirectoryLeaf.Write(leaf, BlockNumber, Owner, [], Seed);
        var model = new SortedSet<DirectoryEntry>(Comparer<DirectoryEntry>.Create(DirectoryEntry.Compare));
        int fulls = 0;
        for (int step = 0; step < 3000; step++)
        {
            // Names from a small pool, some long and some not ASCII, so that inserts meet names already there.
            string name = $"n{random.Next(400)}" + (random.Next(4) == 0 ? new string('é', random.Next(1, 60)) : "");
            var entry = new DirectoryEntry(name, random.Next(1, 1000), random.Next(2) == 0 ? UnixFileType.RegularFile : UnixFileType.Directory, DirectoryHash.Of(name, HashSeed));
            if (random.Next(3) > 0)
            {
                var result = DirectoryLeaf.TryInsert(leaf, BlockNumber, Owner, Seed, entry.Hash, Encoding.UTF8.GetBytes(name), entry.Inode, entry.Type);
                var existing = model.FirstOrDefault(e => e.Name == name);
                if (existing.Name is not null)
                {
                    Assert.Equal(LeafEdit.Exists, result);
                }
                else if (model.Sum(e => e.EncodedSize) + entry.EncodedSize > DirectoryLeaf.Capacity(Block))
                {
                    Assert.Equal(LeafEdit.Full, result);
                    fulls++;
                }
                else
                {
                    Assert.Equal(LeafEdit.Done, result);
                    model.Add(entry);
                }
            }
            else
            {
                var removed = DirectoryLeaf.TryRemove(leaf, BlockNumber, Owner, Seed, entry.Hash, name, 1000);
                var existing = model.FirstOrDefault(e => e.Name == name);
                Assert.Equal(existing.Name is null ? null : existing, removed);
                model.Remove(existing);
            }

            var expected = new byte[Block];
            DirectoryLeaf.Write(expected, BlockNumber, Owner, [.. model], Seed);
            Assert.Equal(expected, leaf);
        }

        Assert.True(fulls > 0, "the leaf never filled up");
        Assert.Equal(model, DirectoryLeaf.Read(leaf, BlockNumber, Owner, Seed, HashSeed, 1000));
    }

    [Fact]
    public void In_place_edits_refuse_a_damaged_leaf_and_leave_it_as_it_was()
    {
        var leaf = new byte[Block];
        DirectoryLeaf.Write(leaf, BlockNumber, Owner, [new DirectoryEntry("a", 20, UnixFileType.RegularFile, DirectoryHash.Of("a", HashSeed))], Seed);
        leaf[0x20] ^= 1;
        var before = leaf.ToArray();
        Assert.Equal("directory leaf.checksum", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.TryInsert(leaf, BlockNumber, Owner, Seed, 5, "b"u8, 21, UnixFileType.RegularFile)).Field);
        Assert.Equal("directory leaf.checksum", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.TryRemove(leaf, BlockNumber, Owner, Seed, 5, "a", 1000)).Field);
        Assert.Equal(before, leaf);
        DirectoryLeaf.Write(leaf, BlockNumber, Owner, [], Seed);
        Assert.Equal("directory leaf.owner", Assert.Throws<InvalidFileSystemException>(() => DirectoryLeaf.TryInsert(leaf, BlockNumber, Owner + 1, Seed, 5, "b"u8, 21, UnixFileType.RegularFile)).Field);
    }

    [Fact]
    public void Byte_level_extent_lookup_agrees_with_the_decoded_node()
    {
        var random = new Random(99);
        for (int round = 0; round < 200; round++)
        {
            var extents = new List<Extent>();
            long logical = random.Next(0, 5);
            int count = random.Next(0, ExtentNode.CapacityOf(Block, isRoot: false) + 1);
            for (int i = 0; i < count; i++)
            {
                int length = random.Next(1, 9);
                extents.Add(new Extent(logical, 1000 + (i * 16), length, random.Next(5) == 0));
                logical += length + random.Next(0, 3);
            }

            var block = new byte[Block];
            new ExtentNode { Owner = Owner, Extents = extents }.WriteBlock(block, BlockNumber, Seed);
            for (long fileBlock = 0; fileBlock <= logical + 2; fileBlock++)
            {
                var step = ExtentNode.LocateInBlock(block, BlockNumber, Owner, 1 << 20, Seed, fileBlock);
                Assert.Equal(0, step.Depth);
                Assert.Equal(extents.Cast<Extent?>().FirstOrDefault(e => fileBlock >= e!.Value.Logical && fileBlock < e.Value.LogicalEnd), step.Extent);
            }
        }

        var index = new byte[Block];
        new ExtentNode { Depth = 1, Owner = Owner, Children = [new ExtentIndex(0, 500), new ExtentIndex(100, 600)] }.WriteBlock(index, BlockNumber, Seed);
        Assert.Equal(new ExtentStep(1, null, 500), ExtentNode.LocateInBlock(index, BlockNumber, Owner, 1 << 20, Seed, 99));
        Assert.Equal(new ExtentStep(1, null, 600), ExtentNode.LocateInBlock(index, BlockNumber, Owner, 1 << 20, Seed, 100));
        Assert.Equal("extent node.entry[1].child", Assert.Throws<InvalidFileSystemException>(() => ExtentNode.LocateInBlock(index, BlockNumber, Owner, 550, Seed, 100)).Field);
    }
}
