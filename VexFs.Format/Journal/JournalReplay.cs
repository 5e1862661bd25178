using VexFs.BlockDevices;
using VexFs.Format.Records;
using VexFs.Format.Storage;

namespace VexFs.Format.Journal;

/// <summary>
/// Reading the journal back: planning and performing its replay, resetting it, seeing a device through it
/// without writing, and the one transaction an offline tool (fsck) commits when no writer runs.
/// </summary>
internal static class JournalReplay
{
    /// <summary>Plans a replay of the journal on <paramref name="device"/> without writing anything.</summary>
    /// <exception cref="InvalidFileSystemException">The journal header is damaged.</exception>
    public static RecoveryPlan Plan(BlockDevice device, JournalArea area) =>
        RecoveryPlanner.Plan(ReadHeader(device, area), (relative, b) => device.Read(area.Offset(relative), b), area.Seed, area.HomeBlockCount);

    /// <summary>The journal's header, verified against <paramref name="area"/> (its size, its filesystem).</summary>
    /// <exception cref="InvalidFileSystemException">The header is damaged or describes another journal.</exception>
    public static JournalHeader ReadHeader(BlockDevice device, JournalArea area)
    {
        var buffer = new byte[area.BlockSize];
        device.Read(area.Offset(0), buffer);
        return JournalHeader.Read(buffer, area.Start, area.Seed, area.Blocks, area.Uuid);
    }

    /// <summary>
    /// Replays whatever the journal holds onto the home blocks (flushing them) and resets the journal to
    /// start after it; returns the plan it followed.
    /// </summary>
    /// <remarks>
    /// When a committed transaction does not verify, <paramref name="dropDamaged"/> false refuses before
    /// writing anything; true (fsck's choice, which then checks everything) replays the transactions before it
    /// and drops it and the rest.
    /// </remarks>
    /// <exception cref="InvalidFileSystemException">The journal header is damaged, or (unless dropping) a committed transaction.</exception>
    public static RecoveryPlan Replay(BlockDevice device, JournalArea area, bool dropDamaged = false)
    {
        var plan = Plan(device, area);
        if (plan.Damage is not null && !dropDamaged)
        {
            throw new InvalidFileSystemException($"The journal is damaged ({plan.Damage}); nothing was written. fsck.vexfs -y replays the {plan.Transactions} transactions before the damage, drops the rest and checks the filesystem.");
        }

        var buffer = new byte[area.BlockSize];
        foreach (var (home, journalBlock) in plan.Writes)
        {
            device.Read(area.Offset(journalBlock), buffer);
            device.Write(home * area.BlockSize, buffer);
        }

        if (plan.Writes.Count > 0 || plan.Transactions > 0 || plan.Damage is not null)
        {
            device.Flush();
            WriteHeader(device, area, plan.NextSequence, plan.NextStart);
        }

        return plan;
    }

    /// <summary>Writes the journal header (the next transaction's sequence and place) and flushes.</summary>
    public static void WriteHeader(BlockDevice device, JournalArea area, ulong sequence, long start)
    {
        var header = new byte[area.BlockSize];
        new JournalHeader(sequence, start, area.Blocks, area.BlockSize, area.Uuid).Write(header, area.Start, area.Seed);
        device.Write(area.Offset(0), header);
        device.Flush();
    }

    /// <summary>
    /// A read-only view of <paramref name="device"/> as it would be after replaying its journal, without writing
    /// to it: reads of the home blocks the journal holds newer copies of return those copies. A journal that
    /// cannot be read at all leaves the home blocks as they are; a damaged one contributes the transactions
    /// before the damage. Disposing the view disposes the device.
    /// </summary>
    public static OverlayDevice View(BlockDevice device, Superblock sb)
    {
        var view = new OverlayDevice(device, sb.BlockSize, readOnly: true, ownsInner: true);
        try
        {
            var area = JournalArea.Of(sb);
            var plan = Plan(device, area);
            foreach (var (home, journalBlock) in plan.Writes)
            {
                var copy = new byte[sb.BlockSize];
                device.Read(area.Offset(journalBlock), copy);
                view.Put(home, copy);
            }
        }
        catch (InvalidFileSystemException)
        {
            // An unreadable journal header: the home blocks are all there is to read.
        }

        return view;
    }

    /// <summary>
    /// Commits one transaction to a journal that holds nothing to replay and checkpoints it at once: its
    /// records, a flush, its commit record, a flush, the home blocks, a flush, the reset header. A power cut
    /// anywhere leaves all of it (replayed at the next open or check) or none. For offline tools, which run
    /// without a writer; false when the transaction does not fit the journal.
    /// </summary>
    public static bool CommitOnce(BlockDevice device, JournalArea area, JournalTransaction transaction)
    {
        long needed = TransactionRecords.Needed(transaction.Blocks.Count, transaction.Revoked.Count, area.BlockSize);
        if (needed > area.Blocks - 1)
        {
            return false;
        }

        var plan = Plan(device, area);
        if (plan.Transactions > 0 || plan.Damage is not null)
        {
            throw new InvalidOperationException("The journal must be replayed before a transaction is committed offline.");
        }

        var staged = new byte[(needed - 1) * area.BlockSize];
        uint running = TransactionRecords.Stage(transaction, plan.NextSequence, staged, area.BlockSize, area.Seed, area.HomeBlockCount);
        long position = plan.NextStart;
        for (int i = 0; i < needed - 1; i++, position = RecoveryPlanner.Next(position, area.Blocks))
        {
            device.Write(area.Offset(position), staged.AsSpan(i * area.BlockSize, area.BlockSize));
        }

        device.Flush();
        var commit = new byte[area.BlockSize];
        TransactionRecords.WriteCommit(commit, transaction, plan.NextSequence, needed, running, area.Seed);
        device.Write(area.Offset(position), commit);
        device.Flush();
        foreach (var block in transaction.Blocks)
        {
            device.Write(block.Home * area.BlockSize, block.Data.Span);
        }

        device.Flush();
        WriteHeader(device, area, plan.NextSequence + 1, RecoveryPlanner.Next(position, area.Blocks));
        return true;
    }
}
