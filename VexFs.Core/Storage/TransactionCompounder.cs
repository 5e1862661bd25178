using VexFs.Format.Journal;

namespace VexFs.Core.Storage;

/// <summary>
/// Joins finished operations into compound journal transactions of at most a budget of blocks, as ext4's
/// running transaction does: a compound commits whole or not at all, so the operations that survive a crash
/// are still a prefix of those that finished, and a block many operations changed (a bitmap, a directory
/// leaf, an inode-table block) is kept, and journaled, once. Memory is bounded by the distinct blocks.
/// </summary>
/// <remarks>
/// A block's contents that a newer operation replaces, or that a revoke drops, before its compound is sealed
/// are handed to <paramref name="release"/>: nothing refers to them any longer, and their owner may reuse them.
/// </remarks>
internal sealed class TransactionCompounder(int budget, Action<byte[]>? release = null)
{
    private readonly List<JournalTransaction> _sealed = [];
    private readonly Dictionary<long, byte[]> _blocks = [];
    private readonly HashSet<long> _revoked = [];
    private long _timeNs;
    private int _sealedBlocks;

    /// <summary>Operations added since the last <see cref="TakeAll"/>.</summary>
    public int Operations { get; private set; }

    /// <summary>Blocks held for the next commit.</summary>
    public int Blocks => _sealedBlocks + _blocks.Count;

    /// <summary>When the first operation since the last <see cref="TakeAll"/> was added (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long FirstAdded { get; private set; }

    /// <summary>Adds one finished operation: the blocks it wrote (newest contents) and the blocks it revoked.</summary>
    public void Add(Dictionary<long, byte[]> blocks, HashSet<long> revoked, long timeNs)
    {
        // A block revoked earlier in the compound and written again would be cancelled by its own revoke.
        bool rewritesRevoked = false;
        int added = 0;
        foreach (long home in blocks.Keys)
        {
            rewritesRevoked |= _revoked.Contains(home);
            added += _blocks.ContainsKey(home) ? 0 : 1;
        }

        if (rewritesRevoked || (_blocks.Count > 0 && _blocks.Count + added > budget))
        {
            Seal();
        }

        foreach (long home in revoked)
        {
            if (_blocks.Remove(home, out var dropped))
            {
                release?.Invoke(dropped);
            }

            _revoked.Add(home);
        }

        foreach (var (home, data) in blocks)
        {
            if (_blocks.TryGetValue(home, out var replaced) && replaced != data)
            {
                release?.Invoke(replaced);
            }

            _blocks[home] = data;
        }

        _timeNs = timeNs;
        if (Operations++ == 0)
        {
            FirstAdded = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Every compound, in order, for one commit; the compounder starts empty again.</summary>
    public List<JournalTransaction> TakeAll()
    {
        Seal();
        var all = new List<JournalTransaction>(_sealed);
        _sealed.Clear();
        _sealedBlocks = 0;
        Operations = 0;
        return all;
    }

    private void Seal()
    {
        if (_blocks.Count == 0 && _revoked.Count == 0)
        {
            return;
        }

        _sealed.Add(new JournalTransaction([.. _blocks.OrderBy(kv => kv.Key).Select(kv => new JournaledBlock(kv.Key, kv.Value))], _revoked.ToHashSet(), _timeNs));
        _sealedBlocks += _blocks.Count;
        _blocks.Clear();
        _revoked.Clear();
    }
}
