using VexFs.Format.Journal;
namespace VexFs.Core.Journal;

/// <summary>Transactions given their places in the journal by <see cref="JournalWriter.Place"/>, to be written and completed.</summary>
internal sealed record JournalCommit(IReadOnlyList<PlacedTransaction> Transactions);

/// <summary>
/// A transaction's place: the blocks it needs in all (records, data and commit), the journal block its
/// records start at, the one its commit record takes, and its sequence.
/// </summary>
internal readonly record struct PlacedTransaction(JournalTransaction Transaction, long Needed, long Start, long CommitPosition, ulong Sequence);
