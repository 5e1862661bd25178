namespace VexFs.Format.Journal;

/// <summary>A block a transaction changes: its home location and its new contents.</summary>
internal readonly record struct JournaledBlock(long Home, ReadOnlyMemory<byte> Data);

/// <summary>One transaction: the blocks it changes and the freed blocks whose older copies it revokes.</summary>
internal sealed record JournalTransaction(IReadOnlyList<JournaledBlock> Blocks, IReadOnlyCollection<long> Revoked, long TimeNs);

/// <summary>
/// How a transaction is laid out in the journal: its revoke records, then a descriptor before each run of
/// data blocks it tags, then (written last, after a barrier) its commit record, which carries the checksum
/// folded over every record and data block before it (see <see cref="RecoveryPlanner"/>).
/// </summary>
internal static class TransactionRecords
{
    /// <summary>The journal blocks a transaction of <paramref name="blocks"/> blocks and <paramref name="revoked"/> revokes takes, commit record included.</summary>
    public static long Needed(int blocks, int revoked, int blockSize)
    {
        int tagCapacity = JournalRecord.TagCapacity(blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(blockSize);
        return ((blocks + tagCapacity - 1) / tagCapacity) + blocks + ((revoked + revokeCapacity - 1) / revokeCapacity) + 1;
    }

    /// <summary>The most blocks one transaction may change in a journal of <paramref name="journalBlocks"/> blocks.</summary>
    public static int Capacity(long journalBlocks, int blockSize)
    {
        long room = journalBlocks - 1;
        long perDescriptor = JournalRecord.TagCapacity(blockSize) + 1;
        return (int)Math.Max(0, (room - 1) * (perDescriptor - 1) / perDescriptor);
    }

    /// <summary>
    /// Lays out <paramref name="transaction"/>'s revoke records, descriptors and data blocks in
    /// <paramref name="staged"/> (all but the commit record, one block each); returns its running checksum.
    /// </summary>
    public static uint Stage(JournalTransaction transaction, ulong sequence, Span<byte> staged, int blockSize, uint seed, long homeBlockCount)
    {
        int tagCapacity = JournalRecord.TagCapacity(blockSize);
        int revokeCapacity = JournalRecord.RevokeCapacity(blockSize);
        var blocks = transaction.Blocks;
        var revoked = transaction.Revoked.ToList();
        int at = 0;
        uint running = 0;
        Span<byte> Slot(Span<byte> all, int index) => all.Slice(index * blockSize, blockSize);
        for (int r = 0; r < revoked.Count; r += revokeCapacity)
        {
            var record = new JournalRecord(JournalRecordType.Revoke, sequence) { Revoked = revoked.GetRange(r, Math.Min(revokeCapacity, revoked.Count - r)) };
            running = RecoveryPlanner.Fold(running, record.Write(Slot(staged, at++), seed));
        }

        for (int first = 0; first < blocks.Count; first += tagCapacity)
        {
            int count = Math.Min(tagCapacity, blocks.Count - first);
            var tags = new JournalTag[count];
            for (int i = 0; i < count; i++)
            {
                var block = blocks[first + i];
                if (block.Home < 0 || block.Home >= homeBlockCount || block.Data.Length != blockSize)
                {
                    throw new ArgumentException($"Block {block.Home} of {block.Data.Length} bytes cannot be journaled.", nameof(transaction));
                }

                tags[i] = new JournalTag(block.Home, JournalRecord.DataChecksum(block.Data.Span, sequence, block.Home, seed));
            }

            running = RecoveryPlanner.Fold(running, new JournalRecord(JournalRecordType.Descriptor, sequence) { Tags = tags }.Write(Slot(staged, at++), seed));
            for (int i = 0; i < count; i++)
            {
                blocks[first + i].Data.Span.CopyTo(Slot(staged, at++));
                running = RecoveryPlanner.Fold(running, tags[i].DataChecksum);
            }
        }

        return running;
    }

    /// <summary>Writes the commit record of a staged transaction into <paramref name="block"/>.</summary>
    public static void WriteCommit(Span<byte> block, JournalTransaction transaction, ulong sequence, long needed, uint running, uint seed) =>
        new JournalRecord(JournalRecordType.Commit, sequence) { TransactionBlocks = (int)needed, CommitTimeNs = transaction.TimeNs, TransactionChecksum = running }
            .Write(block, seed);
}
