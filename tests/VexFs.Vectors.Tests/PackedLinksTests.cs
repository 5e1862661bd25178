using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.Vectors.Hnsw;

namespace VexFs.Vectors.Tests;

public sealed class PackedLinksTests
{
    private const int MaxCount = 32;
    private const int Slots = 64;

    /// <summary>
    /// Random writes, loads and clears against a dictionary of lists: lists grow past their blocks and move,
    /// shrink in place, change their width in bits (1 to 31, and past 2^24), and reuse freed blocks.
    /// </summary>
    [Property(MaxTest = 100)]
    public Property Every_list_reads_back_as_last_written() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var links = new PackedLinks(MaxCount);
            var references = new uint[Slots];
            var model = new int[Slots][];
            var into = new int[MaxCount];
            var words = new uint[links.MaxWords];
            for (var step = 0; step < 2000; step++)
            {
                var slot = random.Next(Slots);
                var list = RandomList(random);
                switch (random.Next(8))
                {
                    case 0:
                        links.Clear(ref references[slot]);
                        model[slot] = [];
                        break;
                    case 1:
                        links.Clear(ref references[slot]);
                        links.Load(ref references[slot], list);
                        model[slot] = list;
                        break;
                    default:
                        links.Write(ref references[slot], list);
                        model[slot] = list;
                        break;
                }

                var check = random.Next(Slots);
                var count = links.Read(ref references[check], into, words);
                Assert.Equal(model[check] ?? [], into.AsSpan(0, count).ToArray());
            }

            for (var s = 0; s < Slots; s++)
            {
                var count = links.Read(ref references[s], into, words);
                Assert.Equal(model[s] ?? [], into.AsSpan(0, count).ToArray());
            }
        });

    /// <summary>
    /// Lists loaded at their exact size take a header word and as many bits a link as their largest slot number
    /// has binary digits, rounded up to words: the memory the packing exists for, computed apart from the arena.
    /// </summary>
    [Fact]
    public void Loaded_lists_take_the_bits_of_their_largest_link()
    {
        const int LoadedSlots = 20_000;
        var random = new Random(7);
        var links = new PackedLinks(MaxCount);
        var references = new uint[LoadedSlots];
        long expected = 0;
        for (var s = 0; s < LoadedSlots; s++)
        {
            var list = Enumerable.Range(0, random.Next(MaxCount + 1)).Select(_ => random.Next(LoadedSlots)).ToArray();
            links.Load(ref references[s], list);
            var digits = list.Length == 0 ? 0 : Convert.ToString(Math.Max(1, list.Max()), 2).Length;
            expected += list.Length == 0 ? 0 : 4 + ((((list.Length * digits) + 31) / 32) * 4);
        }

        const long Chunk = 1 << 18;
        Assert.InRange(links.Bytes, expected, expected + Chunk);
        Assert.True(expected + (LoadedSlots * 4L) < LoadedSlots * (MaxCount + 1) * 4L / 2, "packed lists should take under half the fixed rows");
    }

    /// <summary>
    /// Readers never see a torn list while one writer rewrites, moves and clears lists: every list written is
    /// made of one value repeated a number of times that the value fixes, so a mix of two writes shows.
    /// </summary>
    [Fact]
    public async Task Readers_see_whole_lists_while_a_writer_rewrites_them()
    {
        const int ContendedSlots = 4;
        var links = new PackedLinks(MaxCount);
        var references = new uint[ContendedSlots];
        using var done = new CancellationTokenSource();
        var torn = 0L;
        var reads = 0L;

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var into = new int[MaxCount];
            var words = new uint[links.MaxWords];
            var i = 0;
            while (!done.IsCancellationRequested || i < 1000)
            {
                var count = links.Read(ref references[i++ % ContendedSlots], into, words);
                if (count > 0 && (count != CountOf(into[0]) || into.AsSpan(0, count).ContainsAnyExcept(into[0])))
                {
                    Interlocked.Increment(ref torn);
                }

                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        var random = new Random(11);
        for (var step = 0; step < 300_000; step++)
        {
            // Values of every width, so that lists change their width and move between blocks.
            var value = random.Next(1 << random.Next(1, 31));
            var slot = random.Next(ContendedSlots);
            if (random.Next(50) == 0)
            {
                links.Clear(ref references[slot]);
            }
            else
            {
                links.Write(ref references[slot], Enumerable.Repeat(value, CountOf(value)).ToArray());
            }
        }

        done.Cancel();
        await Task.WhenAll(readers);
        Assert.True(Interlocked.Read(ref reads) >= 2000);
        Assert.Equal(0, Interlocked.Read(ref torn));
    }

    private static int CountOf(int value) => 1 + (value % MaxCount);

    private static int[] RandomList(Random random)
    {
        var limit = random.Next(4) == 0 ? int.MaxValue : 1 << random.Next(1, 25);
        return Enumerable.Range(0, random.Next(MaxCount + 1)).Select(_ => random.Next(limit)).ToArray();
    }
}
