using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using VexFs.BlockDevices;
using VexFs.BlockDevices.DirectIO;
using VexFs.Format;
using VexFs.Samples;

namespace VexCtl;

/// <summary>The device commands: create an image, describe a device, and prove a device keeps what it is given.</summary>
internal static class DeviceCommands
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "The image file to create." };
        var size = new Option<string>("--size", "-s") { Description = "Its length: 4096, 64K, 256M, 2G, 1T.", Required = true };
        var sectorSize = new Option<int>("--sector-size") { Description = "The logical sector size.", DefaultValueFactory = _ => 512 };
        var force = new Option<bool>("--force", "-f") { Description = "Replace an existing file." };
        var command = new Command("create", "Create a sparse image file.") { image, size, sectorSize, force };
        command.SetAction(parsed =>
        {
            long length = Size.Parse(parsed.GetValue(size)!);
            var options = new ImageFileOptions { SectorSize = parsed.GetValue(sectorSize) };
            using var device = ImageFileDevice.Create(parsed.GetValue(image)!, length, options, overwrite: parsed.GetValue(force));
            Console.WriteLine($"created {device.Path}: {Size.Format(device.Length)}, {device.SectorSize}-byte sectors, sparse");
            return CommandRunner.Ok;
        });
        return command;
    }

    public static Command Info()
    {
        var path = new Argument<string>("device") { Description = "A block device such as /dev/loop0, or an image file." };
        var command = new Command("info", "Describe a device or image.") { path };
        command.SetAction(parsed =>
        {
            using var device = BlockDevice.Open(parsed.GetValue(path)!, readOnly: true);
            Console.WriteLine($"device:        {device.Description}");
            Console.WriteLine($"length:        {device.Length} bytes ({Size.Format(device.Length)})");
            Console.WriteLine($"sector size:   {device.SectorSize} bytes");
            if (device is LinuxBlockDevice raw)
            {
                Console.WriteLine($"physical:      {raw.PhysicalSectorSize} bytes");
                Console.WriteLine($"direct I/O:    {raw.IsDirect}");
            }

            FileSystemHealth health;
            try
            {
                health = FileSystemHealth.Read(device);
            }
            catch (InvalidFileSystemException)
            {
                Console.WriteLine("filesystem:    none (no VexFS superblock)");
                return CommandRunner.Ok;
            }

            // As dumpe2fs -h shows an ext4 superblock's health.
            Console.WriteLine($"filesystem:    VexFS, UUID {health.Uuid}, label '{health.Label}'");
            Console.WriteLine($"state:         {(health.CleanlyUnmounted ? "clean" : "not clean")}{(health.HasErrors ? " with errors" : string.Empty)}{(health.NeedsRecovery ? ", journal needs recovery" : string.Empty)}");
            Console.WriteLine($"mount count:   {health.MountCount}{(health.MaxMountCount > 0 ? $" (check after {health.MaxMountCount})" : " (no limit)")}");
            Console.WriteLine($"created:       {Time(health.Created)}");
            Console.WriteLine($"last mounted:  {Time(health.LastMounted)}");
            Console.WriteLine($"last written:  {Time(health.LastWritten)}");
            Console.WriteLine($"last checked:  {Time(health.LastChecked)}");
            Console.WriteLine($"needs fsck:    {(health.CheckReason is { } reason ? $"yes, {reason}" : "no")}");
            return CommandRunner.Ok;
        });
        return command;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static Command Verify()
    {
        var path = new Argument<string>("device") { Description = "A block device or image file. Its contents are overwritten." };
        var size = new Option<string>("--size", "-s") { Description = "How many bytes to write and check from the start.", DefaultValueFactory = _ => "64M" };
        var seed = new Option<int>("--seed") { Description = "Seeds the written pattern.", DefaultValueFactory = _ => 1 };
        var force = new Option<bool>("--force", "-f") { Description = "Allow overwriting a block device." };
        var command = new Command("verify", "Write a pattern, flush, reopen and read it back: the device keeps what it is given.") { path, size, seed, force };
        command.SetAction(parsed =>
        {
            string target = parsed.GetValue(path)!;
            long requested = Size.Parse(parsed.GetValue(size)!);
            long length;
            double writeSeconds;
            using (var device = BlockDevice.Open(target))
            {
                if (device is LinuxBlockDevice && !parsed.GetValue(force))
                {
                    throw new InvalidOperationException($"verify overwrites {device.Description}; add --force to allow it.");
                }

                length = Math.Min(requested, device.Length) / device.SectorSize * device.SectorSize;
                var watch = Stopwatch.StartNew();
                Transfer(device, length, parsed.GetValue(seed), write: true);
                device.Flush();
                writeSeconds = watch.Elapsed.TotalSeconds;
            }

            using var reopened = BlockDevice.Open(target, readOnly: true);
            var readWatch = Stopwatch.StartNew();
            Transfer(reopened, length, parsed.GetValue(seed), write: false);
            double readSeconds = readWatch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"verified {Size.Format(length)} on {reopened.Description}: write+flush {length / writeSeconds / 1e6:0} MB/s, read {length / readSeconds / 1e6:0} MB/s"));
            return CommandRunner.Ok;
        });
        return command;
    }

    private static void Transfer(BlockDevice device, long length, int seed, bool write)
    {
        var buffer = AlignedBufferPool.Rent();
        var expected = write ? null : new byte[buffer.Length];
        try
        {
            for (long offset = 0; offset < length; offset += buffer.Length)
            {
                int count = (int)Math.Min(buffer.Length, length - offset);
                var chunk = buffer.GetSpan()[..count];
                if (write)
                {
                    Fill(chunk, seed, offset);
                    device.Write(offset, chunk);
                    continue;
                }

                device.Read(offset, chunk);
                Fill(expected.AsSpan(0, count), seed, offset);
                int mismatch = chunk.CommonPrefixLength(expected.AsSpan(0, count));
                if (mismatch < count)
                {
                    throw new IOException($"{device.Description} returned wrong data at byte {offset + mismatch}.");
                }
            }
        }
        finally
        {
            AlignedBufferPool.Return(buffer);
        }
    }

    // A xorshift stream per chunk: cheap enough not to hide the device's speed.
    private static void Fill(Span<byte> chunk, int seed, long offset)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(chunk);
        ulong x = ((ulong)(uint)seed << 32) ^ (ulong)offset ^ 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < words.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words[i] = x;
        }
    }
}
