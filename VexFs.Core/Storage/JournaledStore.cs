using VexFs.BlockDevices;
using VexFs.Format.Editing;
using VexFs.Format.Journal;

namespace VexFs.Core.Storage;

/// <summary>
/// The metadata blocks as the filesystem sees them: the running operation's writes, then the finished
/// operations not yet flushed, then the journal's committed copies not yet checkpointed, then the block
/// cache, then the device. Each finished operation becomes one journal transaction, so that after a crash the
/// operations that survive are a prefix of those that finished, each whole.
/// </summary>
/// <remarks>
/// Reads may run on many threads at once while nothing changes; every other member needs the caller's
/// exclusive lock. Without a journal (a read-only open) the store only reads.
/// </remarks>
internal sealed class JournaledStore(BlockDevice device, JournalWriter? journal, BlockCache cache) : IBlockStore
{
    private readonly Dictionary<long, byte[]> _running = [];
    private readonly Dictionary<long, byte[]> _finished = [];
    private readonly List<JournalTransaction> _pending = [];

    public int BlockSize { get; } = cache.BlockSize;

    /// <summary>Operations finished since the last flush.</summary>
    public int PendingTransactions => _pending.Count;

    public void Read(long block, Span<byte> buffer)
    {
        buffer = buffer[..BlockSize];
        if (_running.TryGetValue(block, out var data) || _finished.TryGetValue(block, out data))
        {
            data.CopyTo(buffer);
        }
        else if ((journal is null || !journal.TryRead(block, buffer)) && !cache.TryRead(block, buffer))
        {
            device.Read(block * BlockSize, buffer);
            cache.Put(block, buffer);
        }
    }

    public void Write(long block, ReadOnlySpan<byte> buffer)
    {
        if (_running.TryGetValue(block, out var copy))
        {
            buffer[..BlockSize].CopyTo(copy);
        }
        else
        {
            _running[block] = buffer[..BlockSize].ToArray();
        }
    }

    /// <summary>
    /// Closes the running operation as a transaction. Of the blocks it freed, those with journaled or pending
    /// copies are revoked, so that no replay writes stale metadata over what they hold next.
    /// </summary>
    public void FinishOperation(IReadOnlyCollection<long> freed)
    {
        var revoked = freed.Where(b => _running.ContainsKey(b) || _finished.ContainsKey(b) || Journal.HoldsCopy(b)).ToHashSet();
        foreach (long block in freed)
        {
            cache.Remove(block);
        }

        foreach (long block in revoked)
        {
            _running.Remove(block);
            _finished.Remove(block);
        }

        if (_running.Count == 0 && revoked.Count == 0)
        {
            return;
        }

        var blocks = _running.OrderBy(kv => kv.Key).Select(kv => new JournaledBlock(kv.Key, kv.Value)).ToList();
        _pending.Add(new JournalTransaction(blocks, revoked, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000));
        foreach (var (block, data) in _running)
        {
            _finished[block] = data;
        }

        _running.Clear();
    }

    private JournalWriter Journal => journal ?? throw new NotSupportedException("The filesystem is open read-only.");

    /// <summary>Forgets the running operation's writes.</summary>
    public void AbortOperation() => _running.Clear();

    /// <summary>Commits every finished operation to the journal (durably, with two barriers).</summary>
    public void Commit()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        Journal.CommitAll(Compound(_pending, Math.Max(1, Journal.MaxTransactionBlocks / 4)));
        foreach (var (block, data) in _finished)
        {
            cache.Put(block, data);
        }

        _pending.Clear();
        _finished.Clear();
    }

    /// <summary>
    /// Joins consecutive operations into compound transactions of at most <paramref name="budget"/> blocks, as
    /// ext4's running transaction does: a compound commits whole or not at all, so the operations that survive
    /// a crash are still a prefix of those that finished, and a block that many operations changed (a bitmap,
    /// a directory leaf, the superblock) is journaled once.
    /// </summary>
    internal static List<JournalTransaction> Compound(IReadOnlyList<JournalTransaction> pending, int budget)
    {
        var result = new List<JournalTransaction>();
        var blocks = new Dictionary<long, ReadOnlyMemory<byte>>();
        var revoked = new HashSet<long>();
        long time = 0;
        foreach (var transaction in pending)
        {
            // A block revoked earlier in the compound and written again would be cancelled by its own revoke.
            bool rewritesRevoked = transaction.Blocks.Any(b => revoked.Contains(b.Home));
            int added = transaction.Blocks.Count(b => !blocks.ContainsKey(b.Home));
            if (rewritesRevoked || (blocks.Count > 0 && blocks.Count + added > budget))
            {
                Close();
            }

            foreach (long home in transaction.Revoked)
            {
                blocks.Remove(home);
                revoked.Add(home);
            }

            foreach (var block in transaction.Blocks)
            {
                blocks[block.Home] = block.Data;
            }

            time = transaction.TimeNs;
        }

        Close();
        return result;

        void Close()
        {
            if (blocks.Count == 0 && revoked.Count == 0)
            {
                return;
            }

            result.Add(new JournalTransaction([.. blocks.OrderBy(kv => kv.Key).Select(kv => new JournaledBlock(kv.Key, kv.Value))], revoked.ToHashSet(), time));
            blocks.Clear();
            revoked.Clear();
        }
    }
}
