using Microsoft.Extensions.ObjectPool;

namespace VexFs.Core.Concurrency;

/// <summary>
/// One reader/writer gate per file with data moving through it: readers of a file share its gate, the data
/// half of a write holds it alone, so that nobody reads blocks a write has allocated but not yet filled.
/// Gates exist only while in use and come from a pool.
/// </summary>
/// <remarks>A gate is always taken before the filesystem lock, never while holding it.</remarks>
internal sealed class InodeGates
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Gate> _gates = [];
    private readonly ObjectPool<Gate> _pool = new DefaultObjectPool<Gate>(new GatePolicy());

    /// <summary>Enters the gate of <paramref name="inode"/> shared; disposing the result leaves it.</summary>
    public Scope EnterRead(long inode)
    {
        var gate = Acquire(inode);
        gate.Lock.EnterReadLock();
        return new Scope(this, inode, gate, exclusive: false);
    }

    /// <summary>Enters the gate of <paramref name="inode"/> alone; disposing the result leaves it.</summary>
    public Scope EnterWrite(long inode)
    {
        var gate = Acquire(inode);
        gate.Lock.EnterWriteLock();
        return new Scope(this, inode, gate, exclusive: true);
    }

    /// <summary>Gates in use now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _gates.Count;
            }
        }
    }

    private Gate Acquire(long inode)
    {
        lock (_lock)
        {
            if (!_gates.TryGetValue(inode, out var gate))
            {
                gate = _pool.Get();
                _gates[inode] = gate;
            }

            gate.Users++;
            return gate;
        }
    }

    private void Leave(long inode, Gate gate, bool exclusive)
    {
        if (exclusive)
        {
            gate.Lock.ExitWriteLock();
        }
        else
        {
            gate.Lock.ExitReadLock();
        }

        lock (_lock)
        {
            if (--gate.Users == 0)
            {
                _gates.Remove(inode);
                _pool.Return(gate);
            }
        }
    }

    /// <summary>A held gate.</summary>
    internal readonly struct Scope(InodeGates owner, long inode, Gate gate, bool exclusive) : IDisposable
    {
        public void Dispose() => owner.Leave(inode, gate, exclusive);
    }

    internal sealed class Gate
    {
        public ReaderWriterLockSlim Lock { get; } = new(LockRecursionPolicy.NoRecursion);

        public int Users { get; set; }
    }

    private sealed class GatePolicy : PooledObjectPolicy<Gate>
    {
        public override Gate Create() => new();

        public override bool Return(Gate obj) => obj.Users == 0 && !obj.Lock.IsReadLockHeld && obj.Lock.CurrentReadCount == 0 && !obj.Lock.IsWriteLockHeld;
    }
}
