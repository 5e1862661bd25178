using VexFs.BlockDevices;
using VexFs.Format.Check;

namespace VexFs.Core.Tests;

/// <summary>
/// Writes into preallocated (fallocate) space, as databases make them: each turns part of an unwritten extent
/// into a written one, in a tree that grows to thousands of extents.
/// </summary>
public sealed class PreallocatedWriteTests
{
    private const int BlockSize = 4096;
    private const int Blocks = 16_384;

    [Fact]
    public void Scattered_writes_into_preallocated_space_read_back_as_a_model_says_and_each_rewrites_only_its_leaf()
    {
        using var device = new WriteCountingDevice(new MemoryBlockDevice(256L << 20));
        var model = new Dictionary<long, int>();
        long inode;
        using (var fs = VexFileSystem.Format(device, leaveOpen: true))
        {
            using var stream = fs.OpenFile("/db", FileMode.CreateNew);
            inode = stream.Inode;
            fs.Allocate(inode, 0, (long)Blocks * BlockSize);

            // Even blocks only, so that no two written blocks merge: about 12,000 extents in the end.
            var random = new Random(5);
            for (int i = 0; i < 6_000; i++)
            {
                long block = random.Next(Blocks / 2) * 2L;
                fs.Write(inode, block * BlockSize, Patterns.Random(BlockSize, seed: i));
                model[block] = i;
            }
        }

        using (var fs = VexFileSystem.Open(device, leaveOpen: true))
        {
            // One more block in the middle, committed into an empty journal: its leaf, the inode, the journal's
            // own records and the data. Rebuilding the whole tree (as this once did) wrote every leaf: over 30.
            long before = device.BlocksWritten;
            long middle = (Blocks / 2) + 1;
            fs.Write(inode, middle * BlockSize, Patterns.Random(BlockSize, seed: -1));
            model[middle] = -1;
            fs.Flush();
            long written = device.BlocksWritten - before;
            Assert.True(written <= 16, $"one 4 KiB write into a large preallocated file wrote {written} blocks");

            var back = new byte[BlockSize];
            for (long block = 0; block < Blocks; block += 7)
            {
                Assert.Equal(BlockSize, fs.Read(inode, block * BlockSize, back));
                Assert.Equal(model.TryGetValue(block, out int seed) ? Patterns.Random(BlockSize, seed) : new byte[BlockSize], back);
            }

            foreach (var (block, seed) in model)
            {
                fs.Read(inode, block * BlockSize, back);
                Assert.Equal(Patterns.Random(BlockSize, seed), back);
            }
        }

        var report = FileSystemChecker.Check(device, new CheckOptions { Force = true });
        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
    }

    /// <summary>Counts the blocks written to the device it wraps.</summary>
    private sealed class WriteCountingDevice(BlockDevice inner) : ForwardingDevice(inner, "write-counting")
    {
        private long _blocks;

        public long BlocksWritten => Interlocked.Read(ref _blocks);

        protected override void WriteCore(long offset, ReadOnlySpan<byte> buffer)
        {
            Interlocked.Add(ref _blocks, (buffer.Length + BlockSize - 1) / BlockSize);
            Inner.Write(offset, buffer);
        }
    }
}
