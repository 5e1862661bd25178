using VexFs.Format;

namespace VexFs.Core;

/// <summary>A seekable stream over a file of a <see cref="VexFileSystem"/>.</summary>
/// <remarks>Each write is one atomic operation of the filesystem; <see cref="Flush(bool)"/> with
/// <c>flushToDisk</c> commits it durably.</remarks>
public sealed class VexFileStream : Stream
{
    private readonly VexFileSystem _fileSystem;
    private readonly long _inode;
    private readonly bool _canRead;
    private readonly bool _canWrite;
    private readonly FileAccess _access;
    private readonly FileShare _share;
    private long _position;
    private bool _closed;

    internal VexFileStream(VexFileSystem fileSystem, long inode, FileAccess access, FileShare share, long position)
    {
        fileSystem.Retain(inode, access, share);
        _access = access;
        _share = share;
        _fileSystem = fileSystem;
        _inode = inode;
        _canRead = access.HasFlag(FileAccess.Read);
        _canWrite = access.HasFlag(FileAccess.Write);
        _position = position;
    }

    /// <summary>The inode number of the file.</summary>
    public long Inode => _inode;

    /// <inheritdoc />
    public override bool CanRead => !_closed && _canRead;

    /// <inheritdoc />
    public override bool CanWrite => !_closed && _canWrite;

    /// <inheritdoc />
    public override bool CanSeek => !_closed;

    /// <inheritdoc />
    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            return _fileSystem.LengthOf(_inode);
        }
    }

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (value > _fileSystem.MaxFileSize)
            {
                throw new VexFsException(VexErrorKind.FileTooLarge, $"Position {value} lies past the largest file size, {_fileSystem.MaxFileSize} bytes.");
            }

            _position = value;
        }
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (!CanRead)
        {
            throw new NotSupportedException("The stream was not opened for reading.").With(VexErrorKind.BadHandle);
        }

        int read = _fileSystem.ReadAt(_inode, _position, buffer);
        _position += read;
        return read;
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!CanWrite)
        {
            throw new NotSupportedException("The stream was not opened for writing.").With(VexErrorKind.BadHandle);
        }

        _fileSystem.WriteAt(_inode, _position, buffer, accepted: null);
        _position += buffer.Length;
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        long from = origin switch
        {
            SeekOrigin.Begin => 0,
            SeekOrigin.Current => _position,
            SeekOrigin.End => Length,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };

        // Both are at most the largest file size, so only a positive offset can overflow.
        long target = offset > long.MaxValue - from ? long.MaxValue : from + offset;
        Position = target;
        return target;
    }

    /// <inheritdoc />
    public override void SetLength(long value)
    {
        if (!CanWrite)
        {
            throw new NotSupportedException("The stream was not opened for writing.").With(VexErrorKind.BadHandle);
        }

        _fileSystem.SetLengthOf(_inode, value);
    }

    /// <inheritdoc cref="VexFileSystem.Allocate"/>
    public void Allocate(long offset, long length, bool keepSize = false)
    {
        if (!CanWrite)
        {
            throw new NotSupportedException("The stream was not opened for writing.").With(VexErrorKind.BadHandle);
        }

        _fileSystem.Allocate(_inode, offset, length, keepSize);
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <summary>With <paramref name="flushToDisk"/>, commits the filesystem's completed operations durably.</summary>
    public void Flush(bool flushToDisk)
    {
        if (flushToDisk)
        {
            _fileSystem.Flush();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!_closed)
        {
            _closed = true;
            if (disposing)
            {
                _fileSystem.Release(_inode, _access, _share);
            }
        }

        base.Dispose(disposing);
    }
}
