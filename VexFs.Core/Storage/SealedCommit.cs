using VexFs.Core.Journal;
using VexFs.Format.Journal;

namespace VexFs.Core.Storage;

/// <summary>
/// The finished operations one commit makes durable: their compound transactions, how many operations had
/// finished when they were taken, and their places in the journal (null when the journal could not take them
/// at once and they were committed in runs).
/// </summary>
internal sealed record SealedCommit(List<JournalTransaction> Transactions, long UpTo, JournalCommit? Placed);
