using System.Numerics;

namespace MyTorch;

/// <summary>
/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64). Every random choice in
/// MyTorch goes through one, so the same seed gives the same numbers on every run and every platform.
/// </summary>
/// <remarks>
/// The algorithm is fixed and written out here rather than borrowed from <see cref="System.Random"/>,
/// whose seeded sequence is an implementation detail of the runtime. The whole state can be saved and
/// restored (<see cref="GetState"/>, <see cref="SetState"/>) so that training can resume exactly.
/// </remarks>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;
    private double spareNormal;
    private bool hasSpareNormal;

    /// <summary>The generator used when an operation is not given one. Seed it with <see cref="ManualSeed"/>.</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(ulong seed) => ManualSeed(seed);

    /// <summary>The seed this generator was last seeded with.</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary>Resets the generator to the start of the sequence for <paramref name="seed"/>.</summary>
    public Generator ManualSeed(ulong seed)
    {
        InitialSeed = seed;
        ulong x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
        hasSpareNormal = false;
        spareNormal = 0;
        return this;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Step(ref s0, ref s1, ref s2, ref s3);

    /// <summary>One xoshiro256** step on the state (a, b, c, d): the output, and the state advanced.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ref ulong a, ref ulong b, ref ulong c, ref ulong d)
    {
        ulong result = BitOperations.RotateLeft(b * 5, 7) * 9;
        ulong t = b << 17;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = BitOperations.RotateLeft(d, 45);
        return result;
    }

    /// <summary>A double uniformly distributed in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Fills <paramref name="destination"/> with <see cref="NextDouble"/>'s values in order, each rounded to
    /// <typeparamref name="T"/>: the same numbers as calling it once per element, with the state kept in registers.
    /// </summary>
    internal void FillUniform<T>(Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ulong a = s0, b = s1, c = s2, d = s3;
        for (int i = 0; i < destination.Length; i++)
            destination[i] = T.CreateTruncating((Step(ref a, ref b, ref c, ref d) >> 11) * (1.0 / (1UL << 53)));
        (s0, s1, s2, s3) = (a, b, c, d);
    }

    /// <summary>A float uniformly distributed in [0, 1), with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    /// <summary>An integer uniformly distributed in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public long NextInt64(long maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong range = (ulong)maxExclusive;
        // Lemire's multiply-shift with rejection: unbiased and usually one multiplication.
        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (long)high;
    }

    /// <summary>A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextNormal()
    {
        if (hasSpareNormal)
        {
            hasSpareNormal = false;
            return spareNormal;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        spareNormal = radius * Math.Sin(angle);
        hasSpareNormal = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>A random permutation of 0 .. n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var result = new int[n];
        for (int i = 0; i < n; i++) result[i] = i;
        Shuffle(result.AsSpan());
        return result;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The full state, for checkpoints: restoring it with <see cref="SetState"/> continues the same sequence.</summary>
    public ulong[] GetState() =>
        [s0, s1, s2, s3, hasSpareNormal ? 1UL : 0UL, (ulong)BitConverter.DoubleToInt64Bits(spareNormal), InitialSeed];

    /// <summary>Restores a state returned by <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 7)
            throw new ArgumentException($"A generator state has 7 words, got {state.Length}.", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("A generator state cannot be all zeros.", nameof(state));
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        hasSpareNormal = state[4] != 0;
        spareNormal = BitConverter.Int64BitsToDouble((long)state[5]);
        InitialSeed = state[6];
    }
}
