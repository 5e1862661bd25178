using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VexFs.Vectors.Storage;

namespace VexFs.Vectors.Tests;

public sealed class SlotMapTests
{
    /// <summary>
    /// Random adds, replacements and removals against a dictionary. Ids come from a small range so that
    /// probe runs collide and removals shift entries back; the table grows several times.
    /// </summary>
    [Property(MaxTest = 100)]
    public Property Behaves_like_a_dictionary_from_id_to_slot() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var idRange = random.Next(1, 3000);
            var ids = new SlotArray<long>(1, sizeof(long));
            var map = new SlotMap(ids);
            var model = new Dictionary<long, int>();
            var nextSlot = 0;
            for (var step = 0; step < 4000; step++)
            {
                // Ids are spread over the whole long range, negative ones included.
                var id = (random.Next(idRange) * 0x1_0000_0001L) - 1_000_000;
                switch (random.Next(4))
                {
                    case 0 or 1:
                        ids.EnsureCapacity(nextSlot + 1);
                        ids.At(nextSlot) = id;
                        if (random.Next(2) == 0)
                        {
                            map.Set(nextSlot);
                            model[id] = nextSlot;
                        }
                        else
                        {
                            Assert.Equal(model.TryAdd(id, nextSlot), map.TryAdd(nextSlot));
                        }

                        nextSlot++;
                        break;
                    case 2:
                        Assert.Equal(model.Remove(id), map.Remove(id));
                        break;
                    default:
                        Assert.Equal(model.TryGetValue(id, out var expected), map.TryGetValue(id, out var actual));
                        Assert.Equal(model.ContainsKey(id) ? expected : -1, actual);
                        break;
                }

                Assert.Equal(model.Count, map.Count);
            }

            foreach (var (id, slot) in model)
            {
                Assert.True(map.TryGetValue(id, out var found));
                Assert.Equal(slot, found);
            }

            // At most three quarters full, and it doubles: never more than 8/3 entries per id ever added.
            Assert.True(map.Bytes <= 4L * (16 + (nextSlot * 3)));
        });

    [Fact]
    public void Removing_every_id_leaves_an_empty_map_that_finds_nothing()
    {
        var ids = new SlotArray<long>(1, sizeof(long));
        ids.EnsureCapacity(1000);
        var map = new SlotMap(ids);
        for (var s = 0; s < 1000; s++)
        {
            ids.At(s) = s * 7L;
            Assert.True(map.TryAdd(s));
        }

        for (var s = 999; s >= 0; s -= 2)
        {
            Assert.True(map.Remove(s * 7L));
        }

        for (var s = 0; s < 1000; s++)
        {
            Assert.Equal(s % 2 == 0, map.TryGetValue(s * 7L, out var slot));
            Assert.Equal(s % 2 == 0 ? s : -1, slot);
            Assert.Equal(s % 2 == 0, map.Remove(s * 7L));
        }

        Assert.Equal(0, map.Count);
        Assert.False(map.ContainsKey(0));
    }
}
