using System.Buffers.Binary;
using VexFs.Format.Checksums;

namespace VexFs.Format.Journal;

/// <summary>The kinds of journal record that follow the header.</summary>
internal enum JournalRecordType : uint
{
    /// <summary>Lists the home blocks of the data blocks that follow it, with their checksums.</summary>
    Descriptor = 2,

    /// <summary>Ends a transaction: it is committed once this record is on the device intact.</summary>
    Commit = 3,

    /// <summary>Lists home blocks whose earlier journaled copies must not be replayed.</summary>
    Revoke = 4,
}

/// <summary>A home block described by a descriptor, with the CRC32C of its journaled copy.</summary>
internal readonly record struct JournalTag(long HomeBlock, uint DataChecksum);

/// <summary>
/// A descriptor, commit or revoke record. Data blocks are not records: they are verbatim copies of home
/// blocks, verified through the checksums their descriptor's tags carry.
/// </summary>
/// <remarks>
/// <code>
/// 0x00 u32 magic 0x524A5856 ("VXJR")    0x04 u32 type (2 descriptor, 3 commit, 4 revoke)
/// 0x08 u64 transaction sequence         0x10 u32 count (tags, revoked blocks, or blocks in the transaction)
/// 0x14 u32 zero                         0x18 i64 commit time (ns; commit only)
/// 0x20 descriptor: tags of 16 bytes: u64 home block, u32 CRC32C of the data block, u32 zero
///      revoke: u64 home blocks
///      commit: u32 CRC32C over the checksums of every record and data block of the transaction
/// block end - 4: u32 CRC32C (seed, sequence, block)
/// </code>
/// </remarks>
internal sealed record JournalRecord(JournalRecordType Type, ulong Sequence)
{
    public const uint Magic = 0x524A5856;
    public const int HeaderSize = 0x20;
    public const int TagSize = 16;

    public IReadOnlyList<JournalTag> Tags { get; init; } = [];

    public IReadOnlyList<long> Revoked { get; init; } = [];

    public int TransactionBlocks { get; init; }

    public long CommitTimeNs { get; init; }

    public uint TransactionChecksum { get; init; }

    public static int TagCapacity(int blockSize) => (blockSize - HeaderSize - sizeof(uint)) / TagSize;

    public static int RevokeCapacity(int blockSize) => (blockSize - HeaderSize - sizeof(uint)) / sizeof(long);

    /// <summary>The checksum of a journaled data block, bound to its transaction and home block.</summary>
    public static uint DataChecksum(ReadOnlySpan<byte> data, ulong sequence, long homeBlock, uint seed) =>
        Crc32C.ComputeSeeded(seed ^ (uint)sequence ^ (uint)(sequence >> 32), (ulong)homeBlock, data);

    /// <summary>Whether a block begins like a journal record (the magic), before any checksum is checked.</summary>
    public static bool LooksLikeRecord(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt32LittleEndian(block) == Magic;

    public uint Write(Span<byte> block, uint seed)
    {
        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x04..], (uint)Type);
        BinaryPrimitives.WriteUInt64LittleEndian(block[0x08..], Sequence);
        var body = block[HeaderSize..^sizeof(uint)];
        switch (Type)
        {
            case JournalRecordType.Descriptor:
                Check(Tags.Count <= TagCapacity(block.Length), "tags");
                BinaryPrimitives.WriteUInt32LittleEndian(block[0x10..], (uint)Tags.Count);
                for (int i = 0; i < Tags.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(body[(i * TagSize)..], Tags[i].HomeBlock);
                    BinaryPrimitives.WriteUInt32LittleEndian(body[((i * TagSize) + 8)..], Tags[i].DataChecksum);
                }

                break;
            case JournalRecordType.Revoke:
                Check(Revoked.Count <= RevokeCapacity(block.Length), "revoked blocks");
                BinaryPrimitives.WriteUInt32LittleEndian(block[0x10..], (uint)Revoked.Count);
                for (int i = 0; i < Revoked.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(body[(i * sizeof(long))..], Revoked[i]);
                }

                break;
            case JournalRecordType.Commit:
                BinaryPrimitives.WriteUInt32LittleEndian(block[0x10..], (uint)TransactionBlocks);
                BinaryPrimitives.WriteInt64LittleEndian(block[0x18..], CommitTimeNs);
                BinaryPrimitives.WriteUInt32LittleEndian(body, TransactionChecksum);
                break;
        }

        int limit = block.Length - sizeof(uint);
        uint checksum = Crc32C.ComputeMetadata(seed, Sequence, block, limit);
        BinaryPrimitives.WriteUInt32LittleEndian(block[limit..], checksum);
        return checksum;
    }

    /// <summary>
    /// Decodes a record, or returns null when the block is not an intact record: a wrong magic, a bad
    /// checksum or an impossible count. The caller decides whether that ends the log or is corruption.
    /// </summary>
    public static JournalRecord? TryRead(ReadOnlySpan<byte> block, uint seed, long homeBlockCount, out uint checksum)
    {
        checksum = 0;
        if (!LooksLikeRecord(block))
        {
            return null;
        }

        int limit = block.Length - sizeof(uint);
        ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(block[0x08..]);
        checksum = BinaryPrimitives.ReadUInt32LittleEndian(block[limit..]);
        if (checksum != Crc32C.ComputeMetadata(seed, sequence, block, limit))
        {
            return null;
        }

        var type = (JournalRecordType)BinaryPrimitives.ReadUInt32LittleEndian(block[0x04..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(block[0x10..]);
        var body = block[HeaderSize..limit];
        switch (type)
        {
            case JournalRecordType.Descriptor when count <= TagCapacity(block.Length):
                var tags = new JournalTag[count];
                for (int i = 0; i < tags.Length; i++)
                {
                    long home = BinaryPrimitives.ReadInt64LittleEndian(body[(i * TagSize)..]);
                    if (home < 0 || home >= homeBlockCount)
                    {
                        return null;
                    }

                    tags[i] = new JournalTag(home, BinaryPrimitives.ReadUInt32LittleEndian(body[((i * TagSize) + 8)..]));
                }

                return new JournalRecord(type, sequence) { Tags = tags };
            case JournalRecordType.Revoke when count <= RevokeCapacity(block.Length):
                var revoked = new long[count];
                for (int i = 0; i < revoked.Length; i++)
                {
                    revoked[i] = BinaryPrimitives.ReadInt64LittleEndian(body[(i * sizeof(long))..]);
                }

                return new JournalRecord(type, sequence) { Revoked = revoked };
            case JournalRecordType.Commit:
                return new JournalRecord(type, sequence)
                {
                    TransactionBlocks = (int)Math.Min(count, int.MaxValue),
                    CommitTimeNs = BinaryPrimitives.ReadInt64LittleEndian(block[0x18..]),
                    TransactionChecksum = BinaryPrimitives.ReadUInt32LittleEndian(body),
                };
            default:
                return null;
        }
    }

    private static void Check(bool fits, string what)
    {
        if (!fits)
        {
            throw new ArgumentException($"Too many {what} for one journal record.");
        }
    }
}
