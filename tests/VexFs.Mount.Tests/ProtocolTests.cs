using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using MountVexfs;
using MountVexfs.Fuse;
using MountVexfs.Host;
using VexFs.BlockDevices;
using VexFs.Core;
using VexFs.Format;

namespace VexFs.Mount.Tests;

/// <summary>The host without a kernel: requests decoded from canned bytes, INIT, the errno table, options.</summary>
public sealed class ProtocolTests
{
    /// <summary>The errno each refusal must give, written out apart from the host's table.</summary>
    private static readonly Dictionary<VexErrorKind, int> Errnos = new()
    {
        [VexErrorKind.NotFound] = 2,
        [VexErrorKind.AlreadyExists] = 17,
        [VexErrorKind.NotEmpty] = 39,
        [VexErrorKind.NotADirectory] = 20,
        [VexErrorKind.IsADirectory] = 21,
        [VexErrorKind.InvalidKind] = 22,
        [VexErrorKind.NameTooLong] = 36,
        [VexErrorKind.InvalidArgument] = 22,
        [VexErrorKind.ReadOnly] = 30,
        [VexErrorKind.NotPermitted] = 1,
        [VexErrorKind.Busy] = 16,
        [VexErrorKind.FileTooLarge] = 27,
        [VexErrorKind.NoSpace] = 28,
        [VexErrorKind.NoData] = 61,
        [VexErrorKind.Range] = 34,
        [VexErrorKind.BadHandle] = 9,
    };

    [Fact]
    public void Every_kind_of_refusal_has_its_own_errno_and_a_device_failure_is_EIO()
    {
        Assert.Equal(Enum.GetValues<VexErrorKind>().Order(), Errnos.Keys.Order());
        foreach (var (kind, errno) in Errnos)
        {
            Assert.Equal(errno, Errno.Of(kind));
            Assert.Equal(errno, Errno.Of(new VexFsException(kind, "refused"), out bool refusal));
            Assert.True(refusal);
        }

        Assert.Equal(Errno.Enoent, Errno.Of(new FileNotFoundException("gone"), out _));
        Assert.Equal(Errno.Eio, Errno.Of(new IOException("the device failed", 5), out bool failure));
        Assert.False(failure);
        Assert.Equal(Errno.Eio, Errno.Of(new InvalidFileSystemException("damaged"), out _));
    }

    [Fact]
    public void A_request_is_read_from_its_header_and_a_short_or_inconsistent_one_is_refused()
    {
        byte[] lookup = Requests.Bytes(Opcode.Lookup, 1, Requests.Args("name"), unique: 11, uid: 1000, gid: 100);
        byte[] getattr = Requests.Bytes(Opcode.GetAttr, 42, Requests.Args(0u, 0u, 0ul), unique: 12);
        byte[] buffer = [.. new byte[3], .. lookup, .. getattr];

        var first = new FuseRequest(buffer.AsMemory(3, lookup.Length));
        Assert.Equal((Opcode.Lookup, 11ul, 1ul, 1000u, 100u), (first.Opcode, first.Unique, first.NodeId, first.Uid, first.Gid));
        var args = new ArgumentReader(first.Arguments);
        Assert.Equal("name", args.Name());
        Assert.True(args.Rest.IsEmpty);

        var second = new FuseRequest(buffer.AsMemory(3 + lookup.Length, getattr.Length));
        Assert.Equal((Opcode.GetAttr, 12ul, 42ul), (second.Opcode, second.Unique, second.NodeId));
        Assert.Equal(16, second.Arguments.Length);

        byte[] tooShort = [.. BitConverter.GetBytes(20u), .. new byte[16]];
        Assert.Throws<InvalidDataException>(() => new FuseRequest(tooShort));
        Assert.Throws<InvalidDataException>(() => new FuseRequest(buffer.AsMemory(3, lookup.Length - 1)));
        Assert.Throws<ArgumentException>(() => new ArgumentReader("abc"u8).Name());
    }

    [Theory]
    [InlineData(45u, 38u)]
    [InlineData(38u, 38u)]
    [InlineData(31u, 31u)]
    public void Init_agrees_on_the_lower_minor_and_the_flags_both_sides_have(uint kernelMinor, uint agreed)
    {
        const uint Offered = (1u << 0) | (1u << 1) | (1u << 5) | (1u << 16) | (1u << 22);
        using var reply = new Reply();
        var (errno, done, kernel) = FuseSession.Negotiate(Requests.Args(7u, kernelMinor, 131072u, Offered, 0u), reply, writeback: false);
        Assert.Equal((0, true, $"7.{kernelMinor}"), (errno, done, kernel));
        var answer = reply.Seal(1, 0)[16..];
        Assert.Equal(64, answer.Length);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(answer));
        Assert.Equal(agreed, BinaryPrimitives.ReadUInt32LittleEndian(answer[4..]));
        Assert.Equal(131072u, BinaryPrimitives.ReadUInt32LittleEndian(answer[8..]));
        // Async reads, big writes and max_pages are taken; POSIX locks are never asked for, the writeback cache
        // only when the mount wants it.
        Assert.Equal((1u << 0) | (1u << 5) | (1u << 22), BinaryPrimitives.ReadUInt32LittleEndian(answer[12..]));
        Assert.Equal(1u << 20, BinaryPrimitives.ReadUInt32LittleEndian(answer[20..]));
        Assert.Equal((1 << 20) / Environment.SystemPageSize, BinaryPrimitives.ReadUInt16LittleEndian(answer[28..]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Init_asks_for_the_writeback_cache_only_when_the_mount_wants_it(bool writeback)
    {
        const uint Offered = (1u << 0) | (1u << 16);
        using var reply = new Reply();
        FuseSession.Negotiate(Requests.Args(7u, 38u, 131072u, Offered, 0u), reply, writeback);
        uint granted = BinaryPrimitives.ReadUInt32LittleEndian(reply.Seal(1, 0)[16..][12..]);
        Assert.Equal(writeback ? Offered : 1u, granted);
    }

    [Fact]
    public unsafe void A_read_answer_starts_a_huge_page_and_goes_out_behind_its_header()
    {
        // The data of a READ answer starts a huge page, so that an O_DIRECT device fills it without a bounce
        // buffer, in few segments.
        using var reply = new Reply();
        var data = reply.ReserveAligned(1 << 20);
        fixed (byte* at = data)
        {
            Assert.Equal(0, (long)at % (2 << 20));
        }

        "abc"u8.CopyTo(data);
        reply.CommitAligned(3);
        Assert.Equal(3, reply.Length);
        var message = reply.Seal(7, 0).ToArray();
        Assert.Equal((19u, 0, 7ul), (BinaryPrimitives.ReadUInt32LittleEndian(message), BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(4)), BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8))));
        Assert.Equal("abc"u8.ToArray(), message[16..]);

        // A refusal is the header alone; after a reset the reply builds ordinary answers again.
        Assert.Equal(16, reply.Seal(7, 5).Length);
        Assert.True(reply.TryReset());
        reply.AppendU32(9);
        Assert.Equal(20, reply.Seal(8, 0).Length);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(60 << 10)]
    public unsafe void Requests_are_read_whole_with_a_writes_data_at_the_start_of_a_huge_page_until_the_device_is_woken(int size)
    {
        int* ends = stackalloc int[2];
        Assert.Equal(0, MountVexfs.Native.LibC.Pipe2(ends, 0));
        using var device = FuseDevice.Adopt(ends[0]);
        using var buffer = new RequestBuffer(device);
        try
        {
            var data = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
            var arguments = Requests.Args(3ul, 8192ul, (uint)size, 0u, 0ul, 0u, 0u, data);
            Send(Requests.Bytes(Opcode.Write, 5, arguments, unique: 21));
            var write = buffer.ReadNext()!;
            Assert.Equal((Opcode.Write, 21ul, 5ul), (write.Opcode, write.Unique, write.NodeId));
            Assert.Equal(arguments, write.Arguments.ToArray());
            fixed (byte* at = write.Arguments)
            {
                // fuse_write_in is 40 bytes; the data follows it, at the start of a huge page.
                Assert.Equal(0, (long)(at + 40) % (2 << 20));
            }

            Send(Requests.Bytes(Opcode.GetAttr, 42, Requests.Args(0u, 0u, 0ul), unique: 22));
            var getattr = buffer.ReadNext()!;
            Assert.Equal((Opcode.GetAttr, 22ul, 16), (getattr.Opcode, getattr.Unique, getattr.Arguments.Length));

            device.Wake();
            Assert.Null(buffer.ReadNext());
        }
        finally
        {
            MountVexfs.Native.LibC.Close(ends[1]);
        }

        void Send(byte[] request)
        {
            fixed (byte* p = request)
            {
                Assert.Equal(request.Length, (int)MountVexfs.Native.LibC.Write(ends[1], p, (nuint)request.Length));
            }
        }
    }

    [Fact]
    public void Init_refuses_a_kernel_too_old_and_answers_a_later_major_with_its_own()
    {
        using (var reply = new Reply())
        {
            Assert.Equal(Errno.Eproto, FuseSession.Negotiate(Requests.Args(7u, 20u, 0u, 0u, 0u), reply, writeback: true).Errno);
        }

        using (var reply = new Reply())
        {
            var (errno, done, _) = FuseSession.Negotiate(Requests.Args(8u, 0u, 0u, 0u, 0u), reply, writeback: true);
            Assert.Equal((0, false), (errno, done));
            Assert.Equal(Requests.Args(7u, 38u), reply.Seal(1, 0)[16..].ToArray());
        }
    }

    [Fact]
    public void A_listing_read_in_small_pages_gives_every_name_once_while_the_directory_changes()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(64L << 20));
        var operations = new VexFuseOperations(fs);
        var directory = fs.CreateDirectory(fs.RootInode, "d");
        var names = Enumerable.Range(0, 300).Select(i => $"entry-{i}").ToList();
        foreach (string name in names)
        {
            fs.CreateFile(directory.Inode, name);
        }

        foreach (bool plus in new[] { false, true })
        {
            var seen = new List<string>();
            ulong offset = 0;
            int pages = 0;
            while (true)
            {
                var (errno, answer) = Requests.Call(operations, plus ? Opcode.ReadDirPlus : Opcode.ReadDir, (ulong)directory.Inode, Requests.Args(0ul, offset, 512u, 0u, 0ul, 0u, 0u));
                Assert.Equal(0, errno);
                if (answer.Length == 0)
                {
                    break;
                }

                pages++;
                foreach (var (name, next) in Dirents(answer, plus))
                {
                    seen.Add(name);
                    offset = next;
                }

                if (pages == 3)
                {
                    // Changes between pages: names that exist throughout still come exactly once.
                    fs.CreateFile(directory.Inode, "added-meanwhile");
                    fs.Unlink(directory.Inode, "added-meanwhile");
                }
            }

            Assert.True(pages > 10, $"{pages} pages");
            Assert.Equal(names.Append(".").Append("..").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void A_file_unlinked_while_a_handle_is_open_is_written_read_and_freed_at_release()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(64L << 20));
        var operations = new VexFuseOperations(fs);
        var (errno, created) = Requests.Call(operations, Opcode.Create, Wire.RootNodeId, Requests.Args(2u, 0x81A4u, 0x12u, 0u, "f"), uid: 1000, gid: 100);
        Assert.Equal(0, errno);
        long inode = (long)BinaryPrimitives.ReadUInt64LittleEndian(created);
        ulong handle = BinaryPrimitives.ReadUInt64LittleEndian(created.AsSpan(Wire.EntryOutSize));
        Assert.Equal((1000u, 100u), (fs.GetInfo(inode).Uid, fs.GetInfo(inode).Gid));

        // fuse_open_out.open_flags: FOPEN_KEEP_CACHE (1 << 1) and FOPEN_NOFLUSH (1 << 5), so that close costs no FLUSH.
        Assert.Equal(0x22u, BinaryPrimitives.ReadUInt32LittleEndian(created.AsSpan(Wire.EntryOutSize + 8)));

        Assert.Equal(0, Requests.Call(operations, Opcode.Unlink, Wire.RootNodeId, Requests.Args("f")).Errno);
        var (written, count) = Requests.Call(operations, Opcode.Write, (ulong)inode, Requests.Args(handle, 0ul, 5u, 0u, 0ul, 0u, 0u, "hello"u8.ToArray()));
        Assert.Equal((0, 5u), (written, BinaryPrimitives.ReadUInt32LittleEndian(count)));
        var (read, data) = Requests.Call(operations, Opcode.Read, (ulong)inode, Requests.Args(handle, 0ul, 100u, 0u, 0ul, 0u, 0u));
        Assert.Equal((0, "hello"), (read, Encoding.UTF8.GetString(data)));
        Assert.Equal(Errno.Enoent, Requests.Call(operations, Opcode.Lookup, Wire.RootNodeId, Requests.Args("f")).Errno);

        Assert.Equal(0, Requests.Call(operations, Opcode.Release, (ulong)inode, Requests.Args(handle, 0u, 0u, 0ul)).Errno);
        Assert.Throws<FileNotFoundException>(() => fs.GetInfo(inode));
        Assert.Equal(Errno.Ebadf, Requests.Call(operations, Opcode.Read, (ulong)inode, Requests.Args(handle, 0ul, 100u, 0u, 0ul, 0u, 0u)).Errno);
    }

    [Fact]
    public void Rename2_flags_and_xattr_sizes_behave_as_the_system_calls_say()
    {
        using var fs = VexFileSystem.Format(new MemoryBlockDevice(64L << 20));
        var operations = new VexFuseOperations(fs);
        var a = fs.CreateFile(fs.RootInode, "a");
        var b = fs.CreateDirectory(fs.RootInode, "b");
        ulong root = Wire.RootNodeId;

        Assert.Equal(Errno.Eexist, Requests.Call(operations, Opcode.Rename2, root, Requests.Args(root, 1u, 0u, "a", "b")).Errno);
        Assert.Equal(0, Requests.Call(operations, Opcode.Rename2, root, Requests.Args(root, 2u, 0u, "a", "b")).Errno);
        Assert.Equal((b.Inode, a.Inode), (fs.Lookup(fs.RootInode, "a").Inode, fs.Lookup(fs.RootInode, "b").Inode));
        Assert.Equal(Errno.Einval, Requests.Call(operations, Opcode.Rename2, root, Requests.Args(root, 4u, 0u, "a", "c")).Errno);

        fs.SetXattr(a.Inode, "user.k", "value"u8.ToArray());
        var (errno, size) = Requests.Call(operations, Opcode.GetXattr, (ulong)a.Inode, Requests.Args(0u, 0u, "user.k"));
        Assert.Equal((0, 5u), (errno, BinaryPrimitives.ReadUInt32LittleEndian(size)));
        Assert.Equal(Errno.Erange, Requests.Call(operations, Opcode.GetXattr, (ulong)a.Inode, Requests.Args(4u, 0u, "user.k")).Errno);
        Assert.Equal("value", Encoding.UTF8.GetString(Requests.Call(operations, Opcode.GetXattr, (ulong)a.Inode, Requests.Args(5u, 0u, "user.k")).Answer));
        Assert.Equal("user.k\0", Encoding.UTF8.GetString(Requests.Call(operations, Opcode.ListXattr, (ulong)a.Inode, Requests.Args(100u, 0u)).Answer));
        Assert.Equal(Errno.Enodata, Requests.Call(operations, Opcode.GetXattr, (ulong)a.Inode, Requests.Args(0u, 0u, "user.none")).Errno);
        Assert.Equal(Errno.Enosys, Requests.Call(operations, Opcode.Bmap, (ulong)a.Inode, []).Errno);
        Assert.Equal(VexFuseOperations.NoReply, Requests.Call(operations, Opcode.Forget, (ulong)a.Inode, Requests.Args(1ul)).Errno);
    }

    [Fact]
    public void Options_parse_as_mount_passes_them_and_unknown_ones_are_refused()
    {
        var options = MountOptions.Parse(["/dev/loop0", "/mnt", "-o", "ro,allow_other,nosuid,noatime,block_cache=64,workers=3,noauto,x-systemd.automount", "-n"]);
        Assert.Equal((true, true, false, 64L << 20, 3), (options.ReadOnly, options.AllowOther, options.Foreground, options.BlockCacheBytes, options.Workers));
        Assert.Equal("ro,allow_other,nosuid,noatime,block_cache=64,no_writeback_cache,readahead=4096,workers=3", options.ToOptionString());
        var debug = MountOptions.Parse(["img", "dir", "-o", "debug,rw,suid,writeback_cache,readahead=512"]);
        Assert.True(debug.Foreground && debug.Debug && !debug.ReadOnly && debug.WritebackCache && debug.ReadaheadKibibytes == 512);
        Assert.Contains("writeback_cache,readahead=512", debug.ToOptionString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MountOptions.Parse(["img", "dir", "-o", "readahead=0"]));
        Assert.Throws<ArgumentException>(() => MountOptions.Parse(["img", "dir", "-o", "bogus"]));
        Assert.Throws<ArgumentException>(() => MountOptions.Parse(["img", "dir", "-o", "workers=0"]));
        Assert.Throws<ArgumentException>(() => MountOptions.Parse(["img"]));
    }

    /// <summary>The names and next offsets of the fuse_dirent (or fuse_direntplus) records in a listing.</summary>
    private static List<(string Name, ulong Next)> Dirents(byte[] answer, bool plus)
    {
        var entries = new List<(string, ulong)>();
        for (int at = 0; at < answer.Length;)
        {
            var record = answer.AsSpan(at + (plus ? Wire.EntryOutSize : 0));
            ulong next = BinaryPrimitives.ReadUInt64LittleEndian(record[8..]);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            entries.Add((Encoding.UTF8.GetString(record.Slice(24, length)), next));
            at += (plus ? Wire.EntryOutSize : 0) + ((24 + length + 7) & ~7);
        }

        return entries;
    }
}
