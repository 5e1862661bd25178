using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VexFs.BlockDevices;
using VexFs.Core.Concurrency;
using VexFs.Core.Diagnostics;
using VexFs.Core.Editing;
using VexFs.Core.Journal;
using VexFs.Core.Storage;
using VexFs.Core.Vectors;
using VexFs.Format;
using VexFs.Format.Journal;
using VexFs.Format.Records;

namespace VexFs.Core;

/// <summary>
/// A VexFS filesystem opened on a block device or image file, inside this process.
/// </summary>
/// <remarks>
/// <para>
/// Durability: every operation is atomic. Operations are committed to the journal, in order, by
/// <see cref="Flush"/> (and on their own, see <see cref="VexFileSystemOptions.MaxUnflushedOperations"/>);
/// after <see cref="Flush"/> returns, everything done before it survives a power cut. After a crash, the
/// operations that survive are a prefix of those that completed, each whole. File data reaches the device
/// before the metadata that exposes it is committed (data=ordered); overwriting data already in a file is
/// not atomic.
/// </para>
/// <para>
/// Instances are thread-safe. Reads (lookups, stat, directory listings, file reads) run in parallel under a
/// shared lock; changes take it exclusively, one operation at a time. Commits go one at a time and write the
/// journal outside that lock; flushes that arrive during a commit share the next one (group commit). The
/// lock order is: a file's gate, then the commit turn, then the instance lock, then the leaf locks (the
/// open-file table, the count of writes in flight, the block cache), each held for a few instructions and
/// never while taking another; operations under the exclusive lock never wait for a gate or the commit turn.
/// An I/O error from the device latches the instance read-only and marks the filesystem as having errors.
/// </para>
/// <para>
/// A file whose last name is removed while a <see cref="VexFileStream"/> has it open stays readable and
/// writable through that stream; it is freed when the last stream closes, or at the next open after a crash.
/// </para>
/// </remarks>
public sealed partial class VexFileSystem : IDisposable, IAsyncDisposable
{
    private readonly BlockDevice _device;
    private readonly bool _leaveOpen;
    private readonly VexFileSystemOptions _options;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly OpenFileTable _openFiles = new();
    private readonly InodeGates _gates = new();
    private readonly object _writesLock = new();
    private readonly object _commitState = new();
    private bool _committing;
    private int _dataWrites;
    private readonly JournalWriter? _journal;
    private readonly JournaledStore _store;
    private readonly DeviceBlockStore _data;
    private readonly VectorCatalog _vectors;
    private readonly BlockCache _cache;
    private readonly MeteredDevice _metered;
    private readonly FileSystemMetrics _metrics;
    private readonly ILogger _log;
    private readonly MultiMountGuard? _multiMount;
    private FileSystemEditor _editor;
    private Exception? _failure;
    private bool _disposed;

    private VexFileSystem(BlockDevice device, MeteredDevice metered, FileSystemMetrics metrics, VexFileSystemOptions options, bool leaveOpen, Superblock superblock, JournalWriter? journal, MultiMountGuard? multiMount = null)
    {
        _device = device;
        _multiMount = multiMount;
        _metered = metered;
        _metrics = metrics;
        _log = options.LoggerFactory?.CreateLogger<VexFileSystem>() ?? NullLogger<VexFileSystem>.Instance;
        _options = options;
        _leaveOpen = leaveOpen;
        _journal = journal;
        if (journal is not null)
        {
            journal.Committed = bytes => metrics.CommitSize.Record(bytes);
        }

        _data = new DeviceBlockStore(device, superblock.BlockSize);
        _cache = new BlockCache(options.BlockCacheBytes, superblock.BlockSize);
        _store = new JournaledStore(device, journal, _cache);
        metrics.Observe(this);
        _vectors = new VectorCatalog(options.VectorIndex, options.VectorResidency, () => _editor!, (space, reason) => FileSystemLog.SavedIndexUnusable(_log, metered.Description, space, reason), options.VectorIndexThreads);
        _editor = NewEditor(superblock);
        _vectors.Load(_editor, WalkNamespaceAside);
    }

    /// <summary>
    /// Walks the namespace on a pool thread while the open loads the vector indexes (each takes about half a
    /// second at a million files), so that the first search finds the names ready. Nothing is reported from
    /// here, nor latched: a walk that fails leaves the namespace unknown, and the first search walks again and
    /// meets the failure as it would have without this.
    /// </summary>
    private void WalkNamespaceAside() => ThreadPool.UnsafeQueueUserWorkItem(
        static fileSystem =>
        {
            fileSystem._lock.EnterReadLock();
            try
            {
                if (!fileSystem._disposed)
                {
                    fileSystem._vectors.Namespace(fileSystem._editor);
                }
            }
            catch (Exception)
            {
                // Met again, and reported, by the first search.
            }
            finally
            {
                fileSystem._lock.ExitReadLock();
            }
        },
        this,
        preferLocal: false);

    /// <summary>Whether changes are refused (opened read-only, or latched read-only by an I/O error).</summary>
    public bool IsReadOnly => _journal is null || _failure is not null;

    /// <summary>The filesystem's UUID.</summary>
    public Guid Uuid => _editor.Superblock.Uuid;

    /// <summary>The volume label.</summary>
    public string Label => _editor.Superblock.Label;

    /// <summary>
    /// The filesystem's health as its superblock records it (as <see cref="FileSystemHealth.Read"/> reads it from a
    /// device at rest): while this instance has it open for writing it is not cleanly unmounted, and its mount
    /// count includes this open; <see cref="FileSystemHealth.HasErrors"/> once an I/O error latched it read-only.
    /// </summary>
    public FileSystemHealth Health
    {
        get
        {
            var sb = _editor.Allocator.Superblock;
            return FileSystemHealth.Of(_failure is null ? sb : sb with { State = sb.State | FileSystemState.Errors });
        }
    }

    /// <summary>Formats <paramref name="device"/> and opens the new filesystem.</summary>
    public static VexFileSystem Format(BlockDevice device, FormatOptions? format = null, VexFileSystemOptions? options = null, bool leaveOpen = false)
    {
        Formatter.Format(device, format);
        return Open(device, options, leaveOpen);
    }

    /// <summary>
    /// Opens the filesystem on <paramref name="device"/>, replaying its journal after a crash.
    /// </summary>
    /// <remarks>
    /// On a filesystem with multi-mount protection (mkfs.vexfs -O mmp) a read-write open first takes the MMP
    /// block, which takes over two of its update intervals, and over five when the last writer did not close it
    /// (a crash, or a writer alive on another host), and keeps it updated until disposed.
    /// </remarks>
    /// <exception cref="InvalidFileSystemException">The device holds no valid VexFS filesystem, or one this version cannot read.</exception>
    /// <exception cref="VexFsException">Multi-mount protection: another host has the filesystem open for writing, or fsck is checking it (<see cref="VexErrorKind.Busy"/>).</exception>
    public static VexFileSystem Open(BlockDevice device, VexFileSystemOptions? options = null, bool leaveOpen = false) =>
        OpenCore(device, options, leaveOpen, CancellationToken.None);

    private static VexFileSystem OpenCore(BlockDevice device, VexFileSystemOptions? options, bool leaveOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= VexFileSystemOptions.Default;
        var superblock = SuperblockCopies.Read(device);
        var metrics = new FileSystemMetrics(options.MeterFactory, superblock.Uuid, superblock.Label);
        try
        {
            return OpenMetered(new MeteredDevice(device, metrics), metrics, superblock, options, leaveOpen, cancellationToken);
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
    }

    private static VexFileSystem OpenMetered(MeteredDevice device, FileSystemMetrics metrics, Superblock superblock, VexFileSystemOptions options, bool leaveOpen, CancellationToken cancellationToken)
    {
        bool readOnly = options.ReadOnly || device.IsReadOnly
            || (superblock.ReadOnlyCompatible & ~KnownFeatures.ReadOnlyCompatible) != 0;
        if (readOnly)
        {
            // A read-only open writes nothing, so it replays the journal in memory only: it sees what a
            // read-write open would (up to the first damaged transaction, or the home blocks alone when the
            // journal cannot be read). As in ext4, it leaves the MMP block alone.
            var view = JournalReplay.View(device, superblock);
            var readOnlyView = new VexFileSystem(view, device, metrics, options, leaveOpen, SuperblockCopies.Read(view), journal: null);
            readOnlyView.LogCheckDue();
            return readOnlyView;
        }

        // The MMP block is taken before anything is written (the journal replay included), and kept updated from
        // then on, since a replay or the load of large vector indexes may outlast another opener's wait.
        var multiMount = superblock.HasMultiMountProtection ? MultiMountGuard.Acquire(device, superblock, options.NodeName, forFsck: false, cancellationToken) : null;
        VexFileSystem? opened = null;
        multiMount?.StartHeartbeat(lost => opened?.LostMultiMount(lost));
        try
        {
            opened = OpenWritable(device, metrics, superblock, options, leaveOpen, multiMount);
        }
        catch
        {
            multiMount?.Dispose();
            throw;
        }

        // A heartbeat that stopped before the instance existed had no one to tell.
        if (multiMount?.Stopped is { } stopped)
        {
            opened.LostMultiMount(stopped);
        }

        return opened;
    }

    private static VexFileSystem OpenWritable(MeteredDevice device, FileSystemMetrics metrics, Superblock superblock, VexFileSystemOptions options, bool leaveOpen, MultiMountGuard? multiMount)
    {
        var (journal, plan) = JournalWriter.Recover(device, JournalArea.Of(superblock));
        // The superblock as the replay left it: the one read before may predate what the journal held.
        var replayed = SuperblockCopies.Read(device);
        superblock = replayed with
        {
            State = FileSystemState.NotClean | (replayed.State & FileSystemState.Errors),
            Incompatible = replayed.Incompatible | IncompatibleFeatures.NeedsRecovery,
            MountCount = replayed.MountCount + 1,
            MountedNs = Now,
        };
        SuperblockCopies.WriteRecord(device, superblock);
        device.Flush();
        var fileSystem = new VexFileSystem(device, device, metrics, options, leaveOpen, superblock, journal, multiMount);
        fileSystem.LogRecovery(plan);
        fileSystem.LogCheckDue();
        if (superblock.OrphanHead != 0)
        {
            fileSystem.ReclaimOrphans();
        }

        return fileSystem;
    }

    /// <summary>The asynchronous twin of <see cref="Open"/>: journal replay and orphan reclaim run off the calling thread; <paramref name="cancellationToken"/> also cuts short the waits of multi-mount protection.</summary>
    public static Task<VexFileSystem> OpenAsync(BlockDevice device, VexFileSystemOptions? options = null, bool leaveOpen = false, CancellationToken cancellationToken = default) =>
        Task.Run(() => OpenCore(device, options, leaveOpen, cancellationToken), cancellationToken);

    /// <summary>Commits every completed operation durably: after this returns they survive a power cut.</summary>
    /// <exception cref="IOException">The instance latched read-only before its operations were durable.</exception>
    public void Flush()
    {
        ThrowIfDisposed();
        long started = _metrics.FlushDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        Commit(_store.FinishedOperations, wait: true);
        if (started != 0)
        {
            _metrics.FlushDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// Makes the first <paramref name="upTo"/> operations durable (group commit). Commits go one at a time.
    /// A caller whose operations a commit on its way carries waits for it and writes nothing; when it ends,
    /// the first caller still waiting becomes the committer and takes everything finished by then, the
    /// operations of the other waiters included. The journal is written outside the instance lock, so
    /// operations and reads go on meanwhile. Without <paramref name="wait"/> (a commit an operation found
    /// due), a commit on its way or data still being written skip it.
    /// </summary>
    private void Commit(long upTo, bool wait)
    {
        if (!BeginCommit(upTo, wait))
        {
            return;
        }

        try
        {
            if (_journal is null)
            {
                return;
            }

            SealedCommit? commit;
            long[] frees;
            while (true)
            {
                if (wait)
                {
                    WaitForDataWrites();
                }

                using var exclusive = Exclusive();
                if (DataWritesPending)
                {
                    if (!wait)
                    {
                        return;
                    }

                    continue;
                }

                if (_failure is not null)
                {
                    throw new IOException("The filesystem was switched to read-only after an I/O error; operations completed before it are not all durable.", _failure).With(VexErrorKind.ReadOnly);
                }

                frees = _editor.Allocator.FreesNotDurable();
                commit = Guard(() => _store.Seal());
                if (commit is null)
                {
                    _editor.Allocator.MarkFreesDurable(frees);
                    return;
                }

                break;
            }

            Guard(() => _store.Write(commit));
            using (Exclusive())
            {
                _store.Publish(commit);
                _editor.Allocator.MarkFreesDurable(frees);
            }
        }
        finally
        {
            EndCommit();
        }
    }

    /// <summary>
    /// Becomes the committer, once no commit is on its way; false when the first <paramref name="upTo"/>
    /// operations are durable by then (or, without <paramref name="wait"/>, when a commit is on its way).
    /// </summary>
    private bool BeginCommit(long upTo, bool wait)
    {
        lock (_commitState)
        {
            while (true)
            {
                if (_store.DurableOperations >= upTo)
                {
                    return false;
                }

                if (!_committing)
                {
                    _committing = true;
                    return true;
                }

                if (!wait)
                {
                    return false;
                }

                Monitor.Wait(_commitState);
            }
        }
    }

    private void EndCommit()
    {
        lock (_commitState)
        {
            _committing = false;
            Monitor.PulseAll(_commitState);
        }
    }

    /// <summary>The asynchronous twin of <see cref="Flush"/>.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.Run(Flush, cancellationToken);

    /// <summary>Block and inode counts, as statfs gives them.</summary>
    public VexSpaceInfo GetSpaceInfo() => Query(editor =>
    {
        var sb = editor.Allocator.Superblock;
        return new VexSpaceInfo(sb.BlockSize, sb.BlockCount, sb.FreeBlocks, sb.InodeCount, sb.FreeInodes);
    });

    /// <summary>Commits, checkpoints and marks the filesystem clean (a clean unmount).</summary>
    public void Dispose()
    {
        // Dispose commits too: it waits for a commit on its way and keeps others out.
        BeginCommit(long.MaxValue, wait: true);
        try
        {
            DisposeAsCommitter();
        }
        finally
        {
            EndCommit();
        }
    }

    private void DisposeAsCommitter()
    {
        while (true)
        {
            WaitForDataWrites();
            _lock.EnterWriteLock();
            if (!DataWritesPending)
            {
                break;
            }

            _lock.ExitWriteLock();
        }

        try
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                if (_journal is not null && _failure is null)
                {
                    _openFiles.Clear();

                    RunOperation(editor =>
                    {
                        foreach (long orphan in editor.Orphans())
                        {
                            editor.ReclaimOrphan(orphan);
                        }

                        return 0;
                    });
                    SaveVectorIndexesLocked(all: false);

                    // The order makes every power cut recoverable: the last commit (the superblock still says
                    // the journal needs recovery), the checkpoint (home blocks, barrier, journal reset, barrier),
                    // and only then the clean superblock, which therefore never describes stale home blocks.
                    _editor.Allocator.UpdateSuperblock(sb => sb with { WrittenNs = Now });
                    _editor.Allocator.WriteChanges();
                    _store.FinishOperation(_editor.Allocator.Freed);
                    _store.Commit();
                    _journal.Checkpoint();
                    _editor.Allocator.UpdateSuperblock(sb => sb with
                    {
                        State = FileSystemState.Clean | (sb.State & FileSystemState.Errors),
                        Incompatible = sb.Incompatible & ~IncompatibleFeatures.NeedsRecovery,
                    });
                    SuperblockCopies.WriteRecord(_device, _editor.Allocator.Superblock);
                    _device.Flush();
                    _editor.Allocator.WriteBackups(_device);
                    _device.Flush();
                }
            }
            finally
            {
                _disposed = true;

                // After the last write: the MMP block is marked clean (unless another node has taken it).
                _multiMount?.Dispose();
                _vectors.Dispose();
                _metrics.Dispose();
                if (!_leaveOpen)
                {
                    _device.Dispose();
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Runs a read under the shared lock.</summary>
    private T Query<T>(Func<FileSystemEditor, T> query)
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            return Guard(() => query(_editor));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Runs one operation as one transaction, under the exclusive lock: its writes are kept, and its allocator
    /// changes written, when it completes; when it fails they are all discarded and the allocator reloaded
    /// from what was committed.
    /// </summary>
    /// <remarks>
    /// Blocks freed by operations not yet committed are not handed out again until they are durable (see
    /// <see cref="Allocator.MarkFreesDurable"/>); an operation refused for want of space while such blocks
    /// wait commits them and is tried once more, as ext4 commits its journal before it reports ENOSPC.
    /// </remarks>
    private T Mutate<T>(Func<FileSystemEditor, T> operation)
    {
        T result;
        bool due;
        try
        {
            (result, due) = MutateUnderLock(operation);
        }
        catch (FileSystemFullException)
        {
            // Checked here rather than in a filter: a filter runs while the exclusive lock is still held.
            if (!FreesAwaitCommit())
            {
                throw;
            }

            Commit(_store.FinishedOperations, wait: true);
            (result, due) = MutateUnderLock(operation);
        }

        if (due)
        {
            Commit(_store.FinishedOperations, wait: false);
        }

        return result;
    }

    private bool FreesAwaitCommit()
    {
        _lock.EnterReadLock();
        try
        {
            return !_disposed && _failure is null && _editor.Allocator.HasFreesNotDurable;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Runs the operation under the exclusive lock; says too whether a commit is due.</summary>
    private (T Result, bool CommitDue) MutateUnderLock<T>(Func<FileSystemEditor, T> operation)
    {
        using var exclusive = Exclusive();
        if (_failure is not null)
        {
            throw new VexFsException(VexErrorKind.ReadOnly, "The filesystem was switched to read-only after an I/O error.", _failure);
        }

        if (_journal is null)
        {
            throw new NotSupportedException("The filesystem is open read-only.").With(VexErrorKind.ReadOnly);
        }

        return RunOperation(operation);
    }

    /// <summary>Runs one operation as one transaction; the caller holds the exclusive lock of a writable instance.</summary>
    private (T Result, bool CommitDue) RunOperation<T>(Func<FileSystemEditor, T> operation)
    {
        try
        {
            var result = operation(_editor);
            _editor.Allocator.WriteChanges();
            _store.FinishOperation(_editor.Allocator.Freed);
            _editor.Allocator.Freed.Clear();
            _vectors.Complete();
            bool due = _store.PendingTransactions >= _options.MaxUnflushedOperations || _store.PendingBytes >= _options.MaxUnflushedBytes
                || _store.PendingAge >= _options.CommitInterval;
            return (result, due && !DataWritesPending);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A refusal met before the operation changed a block or the allocator (a deleted inode, a name that
            // exists) leaves the editor as it was: it is not rebuilt, which costs a read of the superblock and
            // the descriptors (about 1.5 ms; the kernel's writeback of times for each unlinked file met it).
            bool changed = _store.HasRunningChanges || _editor.Allocator.HasUnwrittenChanges;
            _store.AbortOperation();
            _editor.Allocator.Freed.Clear();
            _vectors.Rollback();
            if (IsDeviceFailure(e))
            {
                Latch(e);
                throw;
            }

            if (changed)
            {
                var rebuilt = NewEditor(ReadSuperblockThrough(_store));
                rebuilt.Allocator.InheritFreesNotDurable(_editor.Allocator);
                _editor = rebuilt;
            }

            throw;
        }
    }

    private void Mutate(Action<FileSystemEditor> operation) => Mutate(editor =>
    {
        operation(editor);
        return 0;
    });

    /// <summary>Takes the exclusive lock of a live instance, released by disposing the result.</summary>
    private ExclusiveScope Exclusive()
    {
        _lock.EnterWriteLock();
        if (_disposed)
        {
            _lock.ExitWriteLock();
            throw new ObjectDisposedException(nameof(VexFileSystem));
        }

        return new ExclusiveScope(_lock);
    }

    private FileSystemEditor NewEditor(Superblock superblock) => new(_store, _data, superblock, _journal is null ? null : _device, IsOpen, _options.NameCacheEntries, _vectors);

    private bool IsOpen(long inode) => _openFiles.IsOpen(inode);

    /// <summary>Records a stream opened on <paramref name="inode"/>, refusing one its sharing does not allow.</summary>
    internal void Retain(long inode, FileAccess access, FileShare share) => _openFiles.Open(inode, access, share);

    /// <summary>Records a stream of <paramref name="inode"/> closed; the last close of an orphan frees it.</summary>
    internal void Release(long inode, FileAccess access, FileShare share)
    {
        if (!_openFiles.Close(inode, access, share))
        {
            return;
        }

        try
        {
            if (_disposed || IsReadOnly || !Query(editor => editor.ReadInode(inode).Flags.HasFlag(InodeFlags.Orphan)))
            {
                return;
            }

            Mutate(editor =>
            {
                if (!IsOpen(inode))
                {
                    editor.ReclaimOrphan(inode);
                }
            });
        }
        catch (ObjectDisposedException)
        {
            // Closed after the filesystem: the orphan is freed at its next open.
        }
    }

    /// <summary>Frees the files left on the orphan list by a crash, and commits.</summary>
    private void ReclaimOrphans()
    {
        int reclaimed = Mutate(editor =>
        {
            var orphans = editor.Orphans().ToList();
            foreach (long orphan in orphans)
            {
                editor.ReclaimOrphan(orphan);
            }

            return orphans.Count;
        });
        Flush();
        FileSystemLog.ReclaimedOrphans(_log, _device.Description, reclaimed);
    }

    private void LogRecovery(RecoveryPlan plan)
    {
        if (plan.Transactions > 0)
        {
            FileSystemLog.Recovered(_log, _device.Description, plan.Transactions, plan.Writes.Count);
        }

        if (plan.Damage is { } damage)
        {
            FileSystemLog.DroppedDamagedTail(_log, _device.Description, damage);
        }
    }

    private void LogCheckDue()
    {
        if (Health.CheckReason is { } reason)
        {
            FileSystemLog.CheckDue(_log, _device.Description, reason);
        }
    }

    private T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsDeviceFailure(e))
        {
            Latch(e);
            throw;
        }
    }

    private void Guard(Action action) => Guard(() =>
    {
        action();
        return 0;
    });

    /// <summary>
    /// Corruption, or an error the device reported (any I/O error that is not a refusal, ENOSPC from the device
    /// included), as opposed to a refused request (a missing name, a full filesystem, a non-empty directory),
    /// which carries its kind (<see cref="VexErrors.KindOf"/>). Told apart by type and kind alone: a device
    /// whose errors carry no errno still latches the instance.
    /// </summary>
    private static bool IsDeviceFailure(Exception e) =>
        e is InvalidFileSystemException or (DiskFullException and not FileSystemFullException)
        || (e is IOException && e is not (DiskFullException or VexFsException) && VexErrors.KindOf(e) is null);

    /// <summary>Switches to read-only after a device error and tries to mark the superblock as having errors.</summary>
    private void Latch(Exception e)
    {
        if (Interlocked.CompareExchange(ref _failure, e, null) is null)
        {
            FileSystemLog.Latched(_log, _device.Description, e);
        }

        try
        {
            var sb = SuperblockCopies.Read(_device) with { State = FileSystemState.Errors };
            SuperblockCopies.WriteRecord(_device, sb);
            _device.Flush();
        }
        catch (IOException)
        {
            // The device is failing; the latch alone keeps later writes away from it.
        }
    }

    /// <summary>The heartbeat of multi-mount protection ended: another node took the device, or the device failed.</summary>
    private void LostMultiMount(IOException e)
    {
        if (_multiMount is { Lost: true })
        {
            LatchTakenOver(e);
        }
        else
        {
            Latch(e);
        }
    }

    /// <summary>
    /// Switches to read-only because another node took the device: unlike <see cref="Latch"/>, writes nothing,
    /// not even the errors flag, since the superblock now belongs to the other node.
    /// </summary>
    private void LatchTakenOver(IOException e)
    {
        if (Interlocked.CompareExchange(ref _failure, e, null) is null)
        {
            FileSystemLog.TakenOver(_log, _device.Description, e);
        }
    }

    private Superblock ReadSuperblockThrough(JournaledStore store)
    {
        var block = new byte[store.BlockSize];
        store.Read(Superblock.ByteOffset / store.BlockSize, block);
        return Superblock.ReadFrom(block.AsSpan((int)(Superblock.ByteOffset % store.BlockSize)), Superblock.ByteOffset / 1024, _device.Length);
    }

    private readonly struct ExclusiveScope(ReaderWriterLockSlim rwLock) : IDisposable
    {
        public void Dispose() => rwLock.ExitWriteLock();
    }
}
