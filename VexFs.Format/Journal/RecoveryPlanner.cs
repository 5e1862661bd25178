using System.Buffers.Binary;
using VexFs.Format.Checksums;

namespace VexFs.Format.Journal;

/// <summary>Reads journal block <paramref name="relative"/> (0 is the header) into <paramref name="buffer"/>.</summary>
internal delegate void JournalBlockReader(long relative, Span<byte> buffer);

/// <summary>What replaying the journal must do: copy each journaled block to its home, in order.</summary>
/// <param name="Writes">Home block and journal block (relative) of every copy to replay; each home at most once.</param>
/// <param name="Transactions">The committed transactions found.</param>
/// <param name="NextSequence">The sequence the next transaction gets.</param>
/// <param name="NextStart">The journal block (relative) where the next transaction begins.</param>
/// <param name="DiscardedTail">Whether an uncommitted or torn transaction was found at the end and ignored.</param>
/// <param name="Damage">
/// What is wrong with the first committed transaction that does not verify, when one does not: the plan then
/// replays the transactions before it only, and the next sequence skips past every sequence the journal may
/// still hold, so that nothing of the dropped transactions is ever replayed later.
/// </param>
internal sealed record RecoveryPlan(IReadOnlyList<(long Home, long JournalBlock)> Writes, int Transactions, ulong NextSequence, long NextStart, bool DiscardedTail, string? Damage = null);

/// <summary>
/// Plans a journal replay without writing anything: a pure function of the journal's blocks.
/// </summary>
/// <remarks>
/// Rules: a block without the record magic, or a record of another sequence, ends the log. A damaged record
/// or data block ends the log too, as an uncommitted tail, unless an intact commit of the same transaction
/// follows it: damage before a valid commit is corruption, and so is a commit that does not match its
/// transaction. Corruption ends the plan at the last transaction that verifies, as e2fsck does, and says what
/// was dropped (<see cref="RecoveryPlan.Damage"/>). A revoke in transaction T cancels the copies of its
/// blocks in transactions up to T.
/// </remarks>
internal static class RecoveryPlanner
{
    public static RecoveryPlan Plan(JournalHeader header, JournalBlockReader read, uint seed, long homeBlockCount)
    {
        int blockSize = header.BlockSize;
        var buffer = new byte[blockSize];
        var latest = new Dictionary<long, (ulong Sequence, long JournalBlock)>();
        var revokedUpTo = new Dictionary<long, ulong>();
        var transaction = new List<(long Home, long JournalBlock)>();
        var transactionRevokes = new List<long>();
        ulong sequence = header.Sequence;
        long position = header.Start;
        long transactionStart = position;
        long scanned = 0;
        int committed = 0;
        int blocksInTransaction = 0;
        uint runningChecksum = 0;
        bool tail = false;
        string? damage = null;

        while (scanned < header.Blocks - 1)
        {
            read(position, buffer);
            scanned++;
            var record = JournalRecord.TryRead(buffer, seed, homeBlockCount, out uint recordChecksum);
            if (record is null || record.Sequence != sequence)
            {
                bool damagedRecord = record is null && JournalRecord.LooksLikeRecord(buffer);
                if ((damagedRecord || blocksInTransaction > 0) && CommitFollows(read, blockSize, seed, homeBlockCount, sequence, Next(position, header.Blocks), header.Blocks - 1 - scanned, header.Blocks))
                {
                    damage = $"journal transaction {sequence}: a record is damaged but the transaction committed";
                }

                tail = damagedRecord || blocksInTransaction > 0;
                break;
            }

            blocksInTransaction++;
            position = Next(position, header.Blocks);
            if (record.Type == JournalRecordType.Commit)
            {
                damage = record.TransactionBlocks != blocksInTransaction ? $"journal transaction {sequence}: the commit counts {record.TransactionBlocks} blocks, the log holds {blocksInTransaction}"
                    : record.TransactionChecksum != runningChecksum ? $"journal transaction {sequence}: the commit does not match the transaction's blocks"
                    : null;
                if (damage is not null)
                {
                    break;
                }

                foreach (long home in transactionRevokes)
                {
                    revokedUpTo[home] = sequence;
                }

                foreach (var (home, journalBlock) in transaction)
                {
                    latest[home] = (sequence, journalBlock);
                }

                committed++;
                sequence++;
                transaction.Clear();
                transactionRevokes.Clear();
                blocksInTransaction = 0;
                runningChecksum = 0;
                transactionStart = position;
                continue;
            }

            runningChecksum = Fold(runningChecksum, recordChecksum);
            if (record.Type == JournalRecordType.Revoke)
            {
                transactionRevokes.AddRange(record.Revoked);
                continue;
            }

            bool damaged = false;
            foreach (var tag in record.Tags)
            {
                if (scanned >= header.Blocks - 1)
                {
                    damaged = true;
                    break;
                }

                read(position, buffer);
                scanned++;
                blocksInTransaction++;
                uint dataChecksum = JournalRecord.DataChecksum(buffer, sequence, tag.HomeBlock, seed);
                if (dataChecksum != tag.DataChecksum)
                {
                    damaged = true;
                    break;
                }

                runningChecksum = Fold(runningChecksum, dataChecksum);
                transaction.Add((tag.HomeBlock, position));
                position = Next(position, header.Blocks);
            }

            if (damaged)
            {
                tail = true;
                if (CommitFollows(read, blockSize, seed, homeBlockCount, sequence, Next(position, header.Blocks), header.Blocks - 1 - scanned, header.Blocks))
                {
                    damage = $"journal transaction {sequence}: a data block is damaged but the transaction committed";
                }

                break;
            }
        }

        var writes = latest
            .Where(kv => !revokedUpTo.TryGetValue(kv.Key, out ulong revokedAt) || kv.Value.Sequence > revokedAt)
            .OrderBy(kv => kv.Value.Sequence).ThenBy(kv => kv.Value.JournalBlock)
            .Select(kv => (kv.Key, kv.Value.JournalBlock))
            .ToList();
        // After damage, the journal may hold records of this sequence and of a few after it: the next
        // transaction's sequence passes them all (the journal cannot hold more transactions than blocks).
        ulong next = damage is null ? sequence : sequence + (ulong)header.Blocks;
        return new RecoveryPlan(writes, committed, next, transactionStart, tail || damage is not null, damage);
    }

    /// <summary>Folds one block's checksum into a transaction's running checksum.</summary>
    public static uint Fold(uint running, uint blockChecksum)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, blockChecksum);
        return Crc32C.ComputeSeeded(running, 0, bytes);
    }

    /// <summary>The journal block after <paramref name="position"/>, wrapping past the header.</summary>
    public static long Next(long position, long journalBlocks) => position + 1 < journalBlocks ? position + 1 : 1;

    private static bool CommitFollows(JournalBlockReader read, int blockSize, uint seed, long homeBlockCount, ulong sequence, long from, long remaining, long journalBlocks)
    {
        var buffer = new byte[blockSize];
        for (long i = 0, position = from; i < remaining; i++, position = Next(position, journalBlocks))
        {
            read(position, buffer);
            var record = JournalRecord.TryRead(buffer, seed, homeBlockCount, out _);
            if (record is { Type: JournalRecordType.Commit } && record.Sequence == sequence)
            {
                return true;
            }

            if (record is not null && record.Sequence > sequence)
            {
                return false;
            }
        }

        return false;
    }
}
