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
internal sealed record RecoveryPlan(IReadOnlyList<(long Home, long JournalBlock)> Writes, int Transactions, ulong NextSequence, long NextStart, bool DiscardedTail);

/// <summary>
/// Plans a journal replay without writing anything: a pure function of the journal's blocks.
/// </summary>
/// <remarks>
/// Rules: a block without the record magic, or a record of another sequence, ends the log. A damaged record
/// or data block ends the log too, as an uncommitted tail, unless an intact commit of the same transaction
/// follows it: damage before a valid commit is corruption. A revoke in transaction T cancels the copies of
/// its blocks in transactions up to T.
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

        while (scanned < header.Blocks - 1)
        {
            read(position, buffer);
            scanned++;
            var record = JournalRecord.TryRead(buffer, seed, homeBlockCount, out uint recordChecksum);
            if (record is null || record.Sequence != sequence)
            {
                tail = DamagedTail(record is null && JournalRecord.LooksLikeRecord(buffer), header, read, seed, homeBlockCount, sequence, Next(position, header.Blocks), header.Blocks - 1 - scanned, transactionStart)
                    || blocksInTransaction > 0;
                break;
            }

            blocksInTransaction++;
            position = Next(position, header.Blocks);
            if (record.Type == JournalRecordType.Commit)
            {
                Corruption.Check(record.TransactionBlocks == blocksInTransaction, header.Start, $"journal transaction {sequence}.blocks", $"the commit counts {record.TransactionBlocks} blocks, the log holds {blocksInTransaction}");
                Corruption.Check(record.TransactionChecksum == runningChecksum, header.Start, $"journal transaction {sequence}.checksum", "the commit does not match the transaction's blocks");
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
                Corruption.Check(!CommitFollows(read, blockSize, seed, homeBlockCount, sequence, Next(position, header.Blocks), header.Blocks - 1 - scanned, header.Blocks), header.Start, $"journal transaction {sequence}", "a data block is damaged but the transaction committed");
                break;
            }
        }

        var writes = latest
            .Where(kv => !revokedUpTo.TryGetValue(kv.Key, out ulong revokedAt) || kv.Value.Sequence > revokedAt)
            .OrderBy(kv => kv.Value.Sequence).ThenBy(kv => kv.Value.JournalBlock)
            .Select(kv => (kv.Key, kv.Value.JournalBlock))
            .ToList();
        return new RecoveryPlan(writes, committed, sequence, transactionStart, tail);
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

    private static bool DamagedTail(bool damagedRecord, JournalHeader header, JournalBlockReader read, uint seed, long homeBlockCount, ulong sequence, long from, long remaining, long transactionStart)
    {
        if (!damagedRecord)
        {
            return false;
        }

        Corruption.Check(!CommitFollows(read, header.BlockSize, seed, homeBlockCount, sequence, from, remaining, header.Blocks), transactionStart, $"journal transaction {sequence}", "a record is damaged but the transaction committed");
        return true;
    }

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
