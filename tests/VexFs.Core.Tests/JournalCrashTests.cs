using FsCheck.Xunit;
using VexFs.BlockDevices;
using VexFs.BlockDevices.CrashSimulation;
using VexFs.Core.Journal;
using VexFs.Format.Journal;

namespace VexFs.Core.Tests;

/// <summary>
/// The journal under power cuts: at every flush of a random run of transactions, images with any subset of
/// the unflushed writes, torn at sector granularity, recover to the state after a prefix of the
/// transactions, and never lose one whose commit had returned.
/// </summary>
public sealed class JournalCrashTests
{
    private const int BlockSize = 1024;
    private const long Start = 8;
    private const long JournalBlocks = 40;
    private const long Homes = 4096;
    private const uint Seed = 0xABCD;
    private static readonly Guid Uuid = Guid.Parse("12345678-1234-4234-8234-123456789abc");

    [Property(MaxTest = 60)]
    public void Commits_are_atomic_and_durable_across_crashes(int seed)
    {
        var random = new Random(seed);
        using var device = new CrashSimulatingDevice(Homes * BlockSize);
        var header = new byte[BlockSize];
        new JournalHeader(1, 1, JournalBlocks, BlockSize, Uuid).Write(header, Start, Seed);
        device.Write(Start * BlockSize, header);
        device.Flush();
        var writer = JournalWriter.Recover(device, new JournalArea(Start, JournalBlocks, BlockSize, Seed, Uuid, Homes)).Writer;

        var states = new List<Dictionary<long, byte>> { new() };
        var inFlight = new List<Dictionary<long, byte>>();
        int checks = 0;
        device.Flushing += (_, _) =>
        {
            for (int trial = 0; trial < 2; trial++)
            {
                using var image = device.CrashImage(CrashPlan.Random(random.Next(), keepProbability: random.NextDouble(), tornProbability: 0.5));
                JournalReplay.Replay(image, new JournalArea(Start, JournalBlocks, BlockSize, Seed, Uuid, Homes));
                var recovered = ReadHomes(image);
                var allowed = inFlight.Prepend(states[^1]);
                Assert.True(allowed.Any(state => Same(recovered, state)), $"seed {seed}: a crash after {states.Count - 1} commits recovered a state that is no prefix of them");
                checks++;
            }
        };

        int batches = random.Next(3, 15);
        byte fill = 0;
        for (int b = 0; b < batches; b++)
        {
            // A batch of one to three transactions, committed with two barriers for all of them.
            var batch = new List<JournalTransaction>();
            inFlight.Clear();
            var state = states[^1];
            for (int t = random.Next(1, 4); t > 0; t--)
            {
                var homes = Enumerable.Range(0, random.Next(1, 6)).Select(_ => (long)random.Next(200, 240)).Distinct().ToList();
                fill++;
                state = new Dictionary<long, byte>(state);
                byte value = fill;
                homes.ForEach(h => state[h] = value);
                inFlight.Add(state);
                batch.Add(new JournalTransaction(homes.Select(h => new JournaledBlock(h, Enumerable.Repeat(value, BlockSize).ToArray())).ToList(), [], b));
            }

            writer.CommitAll(batch);
            states.AddRange(inFlight);
            inFlight.Clear();
            if (random.Next(4) == 0)
            {
                writer.Checkpoint();
            }
        }

        Assert.True(checks > 0);
        writer.Checkpoint();
        Assert.True(Same(ReadHomes(device), states[^1]), "a checkpoint leaves the last state at home");

        static bool Same(Dictionary<long, byte> recovered, Dictionary<long, byte> expected) =>
            expected.All(kv => recovered.GetValueOrDefault(kv.Key) == kv.Value)
            && recovered.All(kv => kv.Value == 0 || expected.GetValueOrDefault(kv.Key) == kv.Value);
    }

    private static Dictionary<long, byte> ReadHomes(BlockDevice device)
    {
        var result = new Dictionary<long, byte>();
        var block = new byte[BlockSize];
        for (long home = 200; home < 240; home++)
        {
            device.Read(home * BlockSize, block);
            Assert.True(block.All(b => b == block[0]), $"home block {home} is torn after recovery");
            result[home] = block[0];
        }

        return result;
    }
}
