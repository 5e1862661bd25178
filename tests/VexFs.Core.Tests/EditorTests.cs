using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>Trees built through the format's editing API always check clean, and read back as built.</summary>
public sealed class EditorTests
{
    private static readonly CheckOptions Forced = new() { Force = true };

    private static MemoryBlockDevice Formatted(long size = 64L << 20, int blockSize = 4096)
    {
        var device = new MemoryBlockDevice(size);
        Formatter.Format(device, new FormatOptions { BlockSize = blockSize });
        return device;
    }

    private static void AssertClean(BlockDevice device)
    {
        var report = FileSystemChecker.Check(device, Forced);
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings.Take(10)));
    }

    [Fact]
    public void Files_directories_and_links_check_clean_and_read_back()
    {
        using var device = Formatted();
        var editor = FileSystemEditor.Open(device);
        long docs = editor.CreateDirectory(editor.RootInode, "docs");
        long nested = editor.CreateDirectory(docs, "nested");
        var content = Patterns.Random(3 * 4096 + 17, seed: 1);
        long file = editor.CreateFile(nested, "data.bin", content);
        editor.Link(docs, "hard", file);
        editor.CreateSymbolicLink(editor.RootInode, "short", "docs/nested/data.bin");
        editor.CreateSymbolicLink(editor.RootInode, "long", new string('x', 300));
        editor.CreateFile(editor.RootInode, "empty", []);
        editor.Commit();

        AssertClean(device);
        var reopened = FileSystemEditor.Open(device);
        Assert.Equal(file, reopened.Resolve("/docs/nested/data.bin"));
        Assert.Equal(file, reopened.Resolve("/docs/hard"));
        Assert.Equal(2, reopened.ReadInode(file).LinkCount);
        Assert.Equal(content.Length, reopened.ReadInode(file).Size);
        Assert.Equal(["docs", "empty", "long", "lost+found", "short"], reopened.List(reopened.RootInode).Select(e => e.Name).Order());
        Assert.Throws<FileNotFoundException>(() => reopened.Resolve("/docs/missing"));
        Assert.Equal(VexErrorKind.AlreadyExists, VexErrors.KindOf(Assert.Throws<VexFsException>(() => reopened.CreateFile(docs, "hard", []))));
        Assert.Throws<ArgumentException>(() => reopened.CreateFile(docs, "a/b", []));
    }

    [Fact]
    public void A_directory_of_many_entries_grows_its_index_and_finds_every_name()
    {
        using var device = Formatted(64L << 20, blockSize: 1024);
        var editor = FileSystemEditor.Open(device);
        long dir = editor.CreateDirectory(editor.RootInode, "many");
        long file = editor.CreateFile(dir, "target", Patterns.Random(100, seed: 3));
        const int Count = 20_000;
        for (int i = 0; i < Count; i++)
        {
            editor.Link(dir, $"entry-{i:D6}", file);
        }

        editor.Commit();
        AssertClean(device);
        var reopened = FileSystemEditor.Open(device);
        Assert.Equal(Count + 1, reopened.List(dir).Count());
        Assert.Equal(file, reopened.Lookup(dir, "entry-012345")?.Inode);
        Assert.Null(reopened.Lookup(dir, "entry-020000"));
        Assert.Equal(Count + 1, reopened.ReadInode(file).LinkCount);
        var root = new byte[1024];
        device.Read(reopened.Map(dir, 0) * 1024, root);
        Assert.True(root[6] >= 1, "the index should have grown below its root");
    }

    [Fact]
    public void Fragmented_files_deepen_their_extent_trees()
    {
        using var device = Formatted(64L << 20, blockSize: 1024);
        var sb = FileSystemEditor.Open(device).Superblock;
        var store = new DeviceBlockStore(device, 1024);
        var allocator = new Allocator(store, sb, Allocator.ReadDescriptors(store, sb));
        var tree = new ExtentTree(store, allocator);
        var table = new InodeTable(store, allocator);
        var directories = new DirectoryEditor(store, allocator, tree);

        long number = allocator.AllocateInode(directory: false, 0);
        var root = new byte[Inode.RootSize];
        ExtentNode.EmptyRoot(number).WriteRoot(root);
        var inode = new Inode { Mode = UnixModes.Make(UnixFileType.RegularFile, 0x1A4), LinkCount = 1, Generation = 1, Root = root };
        const int Pieces = 1500;
        var spacers = new List<long>();
        for (int i = 0; i < Pieces; i++)
        {
            var (block, _) = allocator.AllocateBlocks(0, 1);
            spacers.Add(allocator.AllocateBlocks(block + 1, 1).Start);
            inode = tree.Insert(inode, number, new Extent(i, block, 1));
            inode = inode with { Blocks = inode.Blocks + 1 };
        }

        spacers.ForEach(s => allocator.FreeBlocks(s, 1));
        inode = inode with { Size = Pieces * 1024L };
        table.Write(number, inode);
        table.Write(sb.RootInode, directories.Insert(sb.RootInode, table.Read(sb.RootInode), "fragmented", number, UnixFileType.RegularFile));
        allocator.WriteChanges();

        AssertClean(device);
        var extents = tree.All(table.Read(number), number);
        Assert.Equal(Pieces, extents.Count);
        Assert.Equal(Enumerable.Range(0, Pieces).Select(i => (long)i), extents.Select(e => e.Logical));
        Assert.True(ExtentNode.ReadRoot(table.Read(number).Root, number, sb.BlockCount, number).Depth >= 2);
        Assert.Equal(extents[777].Physical, tree.Map(table.Read(number), number, 777));
        Assert.Null(tree.Find(table.Read(number), number, Pieces));
    }

    public sealed record TreeOp(int Kind, int Parent, int Size, string Name);

    public static class TreeOps
    {
        public static Arbitrary<TreeOp[]> Ops() =>
            (from kind in Gen.Choose(0, 3)
             from parent in Gen.Choose(0, 20)
             from size in Gen.Frequency((3, Gen.Choose(0, 5000)), (1, Gen.Choose(5000, 200_000)))
             from name in Gen.Elements("a", "b", "ç", "long-name-" + new string('n', 40), "x.txt", "日本")
             select new TreeOp(kind, parent, size, name)).ArrayOf().ToArbitrary();
    }

    [Property(Arbitrary = [typeof(TreeOps)], MaxTest = 60)]
    public void Random_trees_check_clean_and_match_the_model(TreeOp[] ops)
    {
        using var device = Formatted(128L << 20, blockSize: 1024);
        var editor = FileSystemEditor.Open(device);
        var directories = new List<long> { editor.RootInode };
        var model = new Dictionary<(long, string), long>();
        for (int i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            long parent = directories[op.Parent % directories.Count];
            string name = $"{op.Name}{i}";
            switch (op.Kind)
            {
                case 0:
                    long dir = editor.CreateDirectory(parent, name);
                    directories.Add(dir);
                    model[(parent, name)] = dir;
                    break;
                case 1:
                    model[(parent, name)] = editor.CreateFile(parent, name, Patterns.Random(op.Size, seed: i));
                    break;
                case 2:
                    model[(parent, name)] = editor.CreateSymbolicLink(parent, name, new string('t', 1 + (op.Size % 600)));
                    break;
                default:
                    var files = model.Values.Where(v => editor.ReadInode(v).Mode.Type() == UnixFileType.RegularFile).ToList();
                    if (files.Count > 0)
                    {
                        long target = files[op.Size % files.Count];
                        editor.Link(parent, name, target);
                        model[(parent, name)] = target;
                    }

                    break;
            }
        }

        editor.Commit();
        AssertClean(device);
        var reopened = FileSystemEditor.Open(device);
        foreach (var ((parent, name), inode) in model)
        {
            Assert.Equal(inode, reopened.Lookup(parent, name)?.Inode);
        }
    }
}
