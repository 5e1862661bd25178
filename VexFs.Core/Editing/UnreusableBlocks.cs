using System.Numerics;
using VexFs.Format;
using VexFs.Format.Records;

namespace VexFs.Core.Editing;

/// <summary>
/// Blocks freed by operations not yet committed: free in the group bitmaps, but not handed out again until a
/// commit makes their freeing durable. One bitmap per group that has any, in the layout of the block bitmaps,
/// so a search for a free block skips them a word at a time: deleting a large file leaves hundreds of
/// thousands of them, and a search that looked each one up cost every allocation until the next commit.
/// </summary>
internal sealed class UnreusableBlocks(Geometry geometry)
{
    private readonly Dictionary<int, Group> _groups = [];

    public long Count { get; private set; }

    /// <summary>The bitmap of group <paramref name="group"/>, or null when none of its blocks waits.</summary>
    public byte[]? Of(int group) => _groups.TryGetValue(group, out var entry) ? entry.Bits : null;

    public void Add(long block)
    {
        int g = geometry.GroupOfBlock(block);
        if (!_groups.TryGetValue(g, out var entry))
        {
            entry = new Group(new byte[(geometry.BlocksInGroup(g) + 63) / 64 * 8]);
            _groups.Add(g, entry);
        }

        int index = (int)(block - geometry.GroupStart(g));
        if (!Bitmap.IsSet(entry.Bits, index))
        {
            Bitmap.Set(entry.Bits, index);
            entry.Count++;
            Count++;
        }
    }

    /// <summary>Lets <paramref name="blocks"/> be reused; blocks not waiting are ignored.</summary>
    public void Remove(IEnumerable<long> blocks)
    {
        foreach (long block in blocks)
        {
            int g = geometry.GroupOfBlock(block);
            if (!_groups.TryGetValue(g, out var entry))
            {
                continue;
            }

            int index = (int)(block - geometry.GroupStart(g));
            if (Bitmap.IsSet(entry.Bits, index))
            {
                Bitmap.Clear(entry.Bits, index);
                Count--;
                if (--entry.Count == 0)
                {
                    _groups.Remove(g);
                }
            }
        }
    }

    public long[] ToArray()
    {
        var blocks = new long[Count];
        int n = 0;
        foreach (var (g, entry) in _groups)
        {
            long start = geometry.GroupStart(g);
            var bits = entry.Bits;
            for (int i = 0; i < bits.Length; i++)
            {
                for (int b = bits[i]; b != 0; b &= b - 1)
                {
                    blocks[n++] = start + (i * 8) + BitOperations.TrailingZeroCount(b);
                }
            }
        }

        return blocks;
    }

    public void UnionWith(UnreusableBlocks other)
    {
        foreach (long block in other.ToArray())
        {
            Add(block);
        }
    }

    private sealed class Group(byte[] bits)
    {
        /// <summary>One bit per block of the group, rounded up to whole 64-bit words.</summary>
        public byte[] Bits { get; } = bits;

        public int Count { get; set; }
    }
}
