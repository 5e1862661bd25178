using VexFs.BlockDevices;
using VexFs.Format;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>Extended attributes: inline while they fit the inode, then in one attribute block.</summary>
public sealed class XattrTests
{
    [Fact]
    public void Attributes_are_set_listed_replaced_removed_and_persist()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.CreateDirectory("/d");
            fs.SetXattr("/d", "user.tag", "red"u8.ToArray());
            fs.SetXattr("/d", "user.empty", []);
            Assert.Equal(["user.empty", "user.tag"], fs.ListXattrs("/d"));
            Assert.Equal("red"u8.ToArray(), fs.GetXattr("/d", "user.tag"));
            Assert.Empty(fs.GetXattr("/d", "user.empty"));

            Refusals.AssertKind(VexErrorKind.AlreadyExists, () => fs.SetXattr("/d", "user.tag", [1], XattrMode.Create));
            Assert.Throws<KeyNotFoundException>(() => fs.SetXattr("/d", "user.none", [1], XattrMode.Replace));
            fs.SetXattr("/d", "user.tag", "blue"u8.ToArray(), XattrMode.Replace);
            fs.RemoveXattr("/d", "user.empty");
            Assert.Throws<KeyNotFoundException>(() => fs.RemoveXattr("/d", "user.empty"));
            Assert.Throws<KeyNotFoundException>(() => fs.GetXattr("/d", "user.empty"));
            Assert.Throws<ArgumentException>(() => fs.SetXattr("/d", string.Empty, [1]));
            Assert.Throws<ArgumentException>(() => fs.SetXattr("/d", new string('n', 256), [1]));
            Assert.Throws<ArgumentException>(() => fs.SetXattr("/d", "user.big", new byte[4001]));
            Assert.Throws<FileNotFoundException>(() => fs.GetXattr("/missing", "user.tag"));
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            Assert.Equal(["user.tag"], fs.ListXattrs("/d"));
            Assert.Equal("blue"u8.ToArray(), fs.GetXattr("/d", "user.tag"));
        }
    }

    [Fact]
    public void Attributes_move_to_a_block_when_large_and_back_when_small_and_the_block_is_freed_with_the_file()
    {
        using var device = new MemoryBlockDevice(16L << 20);
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            fs.OpenFile("/f", FileMode.CreateNew).Dispose();
            long blocksBefore = fs.GetInfo("/f").Blocks;
            var big = Patterns.Random(2000, seed: 3);
            fs.SetXattr("/f", "user.small", [1, 2, 3]);
            Assert.Equal(blocksBefore, fs.GetInfo("/f").Blocks);
            fs.SetXattr("/f", "user.big", big);
            Assert.Equal(blocksBefore + 1, fs.GetInfo("/f").Blocks);
            Assert.Equal(big, fs.GetXattr("/f", "user.big"));
            Assert.Equal([1, 2, 3], fs.GetXattr("/f", "user.small"));

            // More than one block holds is refused and changes nothing.
            Refusals.AssertKind(VexErrorKind.NoSpace, () => fs.SetXattr("/f", "user.big2", Patterns.Random(2500, seed: 4)));
            Assert.Equal(["user.big", "user.small"], fs.ListXattrs("/f"));

            fs.RemoveXattr("/f", "user.big");
            Assert.Equal(blocksBefore, fs.GetInfo("/f").Blocks);
            fs.SetXattr("/f", "user.big", big);
            fs.Flush();
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            long free = fs.GetSpaceInfo().FreeBlocks;
            fs.Delete("/f");
            fs.Flush();
            Assert.Equal(free + 1, fs.GetSpaceInfo().FreeBlocks);
        }

        Assert.True(FileSystemChecker.Check(device, new CheckOptions { Force = true }).IsClean);
    }
}
