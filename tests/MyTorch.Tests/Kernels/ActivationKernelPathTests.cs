using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>The library's own element-wise vector loops on every kernel path, at every length up to four widest vectors and more.</summary>
[Collection(KernelPathSerial.Name)]
public class ActivationKernelPathTests
{
    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void ReluBackwardMatchesTheScalarRuleBitForBitAtEveryLength(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            CheckReluBackward<float>();
            CheckReluBackward<double>();
        });

    private static void CheckReluBackward<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Special values at every position modulo 9, so each lands in vector lanes and in the scalar tail.
        T[] specials = [T.Zero, T.NegativeZero, T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Epsilon, -T.Epsilon];
        var random = new Random(17);
        int maxLength = (4 * KernelPaths.WidestCount<T>()) + 3;
        for (int length = 0; length <= maxLength; length++)
        {
            var x = new T[length];
            var g = new T[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = (i + length) % 9 < specials.Length ? specials[(i + length) % 9] : T.CreateTruncating((random.NextDouble() * 2) - 1);
                g[i] = (i * 5) % 11 < specials.Length ? specials[(i * 5) % 11] : T.CreateTruncating((random.NextDouble() * 2) - 1);
            }

            // One guard element past the destination must stay untouched.
            var actual = new T[length + 1];
            actual[length] = T.CreateTruncating(12345);
            ActivationKernels.ReluBackward<T>(g, x, actual.AsSpan(0, length));
            for (int i = 0; i < length; i++)
            {
                T expected = x[i] > T.Zero ? g[i] : T.Zero;
                Assert.True(Bits(expected) == Bits(actual[i]),
                    $"{typeof(T).Name} {KernelOptions.Path} length {length} at {i}: x {x[i]}, g {g[i]}, expected {expected}, got {actual[i]}");
            }

            Assert.Equal(T.CreateTruncating(12345), actual[length]);
        }
    }

    private static long Bits<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? BitConverter.SingleToInt32Bits((float)(object)value) : BitConverter.DoubleToInt64Bits((double)(object)value);
}
