using System.Security.Cryptography;
using VexFs.BlockDevices;
using VexFs.Core.Editing;
using VexFs.Format.Check;
using VexFs.Format.Records;

namespace VexFs.Core.Tests;

/// <summary>One suite over every device kind: memory, image file (buffered and O_DIRECT) and loop device.</summary>
public sealed class DeviceSuiteTests : IDisposable
{
    private readonly DeviceKinds _kinds = new();

    public static TheoryData<string> Kinds => DeviceKinds.All;

    public void Dispose() => _kinds.Dispose();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_tree_with_links_attributes_and_an_orphan_survives_a_restart_and_checks_clean(string kind)
    {
        var device = _kinds.Create(kind, 256L << 20);
        var content = Patterns.Random(3_000_000, seed: 11);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory("/a/b/c");
            using (var stream = fs.OpenFile("/a/b/c/data.bin", FileMode.CreateNew))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            fs.CreateHardLink("/a/data.bin", "/a/b/c/data.bin");
            fs.CreateSymbolicLink("/a/link", "b/c/data.bin");
            fs.SetXattr("/a/b", "user.note", "kept"u8.ToArray());
            fs.SetInfo("/a/b/c/data.bin", new VexInfoChange { Permissions = 0x180, Uid = 7 });
            var orphan = fs.OpenFile("/a/tmp", FileMode.CreateNew);
            orphan.Write(Patterns.Random(100_000, seed: 12));
            fs.Delete("/a/tmp");
            orphan.Dispose();
        }

        AssertClean(device);
        if (kind != "memory")
        {
            device.Dispose();
            device = _kinds.Reopen(kind, device);
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            using (var stream = fs.OpenFile("/a/data.bin", FileMode.Open, FileAccess.Read))
            {
                var back = new byte[content.Length];
                stream.ReadExactly(back);
                Assert.Equal(content, back);
            }

            var info = fs.GetInfo("/a/b/c/data.bin");
            Assert.Equal((2, 0x180, 7u, UnixFileType.RegularFile), (info.LinkCount, info.Permissions, info.Uid, info.Type));
            Assert.Equal("b/c/data.bin", fs.ReadLink("/a/link"));
            Assert.Equal("kept"u8.ToArray(), fs.GetXattr("/a/b", "user.note"));
            Assert.False(fs.Exists("/a/tmp"));
            fs.Move("/a/b", "/moved");
            fs.DeleteDirectory("/moved", recursive: true);
        }

        AssertClean(device);
        device.Dispose();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_1_GiB_file_is_written_in_few_fragments_and_read_back_with_its_checksum(string kind)
    {
        const int Chunk = 1 << 20;
        const int Chunks = 1024;
        var device = _kinds.Create(kind, 1280L << 20);
        using var writeHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[Chunk];
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            using var stream = fs.OpenFile("/big", FileMode.CreateNew);
            for (int i = 0; i < Chunks; i++)
            {
                Patterns.Fill(buffer, i);
                writeHash.AppendData(buffer);
                stream.Write(buffer);
            }
        }

        AssertClean(device);
        if (kind != "memory")
        {
            device.Dispose();
            device = _kinds.Reopen(kind, device);
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            using var stream = fs.OpenFile("/big", FileMode.Open, FileAccess.Read);
            Assert.Equal((long)Chunks * Chunk, stream.Length);
            using var readHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (int i = 0; i < Chunks; i++)
            {
                stream.ReadExactly(buffer);
                readHash.AppendData(buffer);
            }

            Assert.Equal(writeHash.GetHashAndReset(), readHash.GetHashAndReset());
            var info = fs.GetInfo("/big");
            Assert.True(info.Blocks < ((long)Chunks * Chunk / 4096) + 16, $"a sequential file should need few extent-tree blocks; it is charged {info.Blocks}");
        }

        // Written 1 MiB at a time, the file should still lie in about one run per block group it spans.
        var editor = FileSystemEditor.Open(device);
        long number = editor.Resolve("/big");
        long blocks = (long)Chunks * Chunk / editor.Superblock.BlockSize;
        int fragments = 1;
        for (long b = 1, previous = editor.Map(number, 0); b < blocks; b++)
        {
            long physical = editor.Map(number, b);
            fragments += physical == previous + 1 ? 0 : 1;
            previous = physical;
        }

        long groups = (blocks + editor.Superblock.BlocksPerGroup - 1) / editor.Superblock.BlocksPerGroup;
        Assert.True(fragments <= groups + 2, $"{fragments} fragments for a sequential file over {groups} block groups");
        device.Dispose();
    }

    private static void AssertClean(BlockDevice device)
    {
        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join("; ", report.Findings));
    }
}
