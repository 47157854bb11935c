using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>
/// The width-generic vector abstraction (<see cref="IVectorWidth{TVector, T}"/>, <see cref="VectorLoop"/>) on every
/// forced kernel path: each operation at each width the path enables gives the scalar rule's bits at every length
/// 0..70, so every width's loop and every tail runs, and the loop uses exactly the widths the path allows.
/// </summary>
[Collection(KernelPathSerial.Name)]
public class VectorWidthTests
{
    private const int MaxLength = 70;

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void EveryOperationMatchesTheScalarRuleBitForBitAtEveryLength(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            Check<float>(path);
            Check<double>(path);
        });

    [Theory]
    [MemberData(nameof(KernelPaths.All), MemberType = typeof(KernelPaths))]
    public void TheWidthsEnabledAreThoseThePathAllows(KernelPath path) =>
        KernelPaths.Run(path, () =>
        {
            var active = KernelOptions.ActivePath;
            Assert.Equal(active == KernelPath.Vector512, V512<float>.IsEnabled);
            Assert.Equal(active is KernelPath.Vector512 or KernelPath.Vector256, V256<float>.IsEnabled);
            Assert.Equal(active is not KernelPath.Scalar, V128<float>.IsEnabled);
            Assert.Equal(V512<float>.IsEnabled, V512<double>.IsEnabled);
            Assert.Equal(16, V512<float>.Count);
            Assert.Equal(4, V256<double>.Count);
            Assert.Equal(2, V128<double>.Count);
        });

    private static void Check<T>(KernelPath path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Special values at every position modulo 9, so each lands in vector lanes and in the scalar tail.
        T[] specials = [T.Zero, T.NegativeZero, T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Epsilon, -T.Epsilon];
        var random = new Random(23);
        for (int length = 0; length <= MaxLength; length++)
        {
            var x = new T[length];
            var y = new T[length];
            var z = new T[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = (i + length) % 9 < specials.Length ? specials[(i + length) % 9] : Draw<T>(random);
                y[i] = (i * 5) % 11 < specials.Length ? specials[(i * 5) % 11] : Draw<T>(random);
                z[i] = Draw<T>(random);
            }

            // One guard element past each output must stay untouched.
            var outputs = new T[Outputs][];
            for (int o = 0; o < Outputs; o++)
            {
                outputs[o] = new T[length + 1];
                outputs[o][length] = T.CreateTruncating(12345);
            }

            var widths = new int[4];
            var loop = new EveryOperationLoop<T>(x, y, z, outputs, widths);
            VectorLoop.Run<T, EveryOperationLoop<T>>(ref loop, (nuint)length);

            CheckWidths<T>(path, length, widths);
            for (int i = 0; i < length; i++)
            {
                int width = WidthAt<T>(i, widths);
                T[] expected =
                [
                    x[i] + y[i],
                    x[i] * y[i],
                    x[i] > y[i] ? z[i] : T.Zero,
                    Fused<T>(width) ? T.FusedMultiplyAdd(x[i], y[i], z[i]) : (x[i] * y[i]) + z[i],
                    T.Zero + z[i],
                    Broadcast<T>(),
                ];
                for (int o = 0; o < Outputs; o++)
                {
                    Assert.True(Bits(expected[o]) == Bits(outputs[o][i]),
                        $"{typeof(T).Name} {path} length {length} output {o} at {i} (width {width}): x {x[i]}, y {y[i]}, z {z[i]}, expected {expected[o]}, got {outputs[o][i]}");
                }
            }

            for (int o = 0; o < Outputs; o++)
            {
                Assert.Equal(T.CreateTruncating(12345), outputs[o][length]);
            }
        }
    }

    /// <summary>The loop must run the widest enabled width first, each while a whole vector fits, and end in scalars.</summary>
    private static void CheckWidths<T>(KernelPath path, int length, int[] widths)
        where T : unmanaged
    {
        int left = length;
        int expected512 = V512<T>.IsEnabled ? left / V512<T>.Count * V512<T>.Count : 0;
        left -= expected512;
        int expected256 = V256<T>.IsEnabled ? left / V256<T>.Count * V256<T>.Count : 0;
        left -= expected256;
        int expected128 = V128<T>.IsEnabled ? left / V128<T>.Count * V128<T>.Count : 0;
        left -= expected128;
        Assert.Equal([expected512, expected256, expected128, left], widths);
        if (path == KernelPath.Scalar)
        {
            Assert.Equal(length, widths[3]);
        }
    }

    /// <summary>Which width handled element <paramref name="i"/>: 512, 256, 128, or 0 for the scalar tail.</summary>
    private static int WidthAt<T>(int i, int[] widths) =>
        i < widths[0] ? 512 : i < widths[0] + widths[1] ? 256 : i < widths[0] + widths[1] + widths[2] ? 128 : 0;

    /// <summary>Whether <see cref="IVectorWidth{TVector, T}.MultiplyAdd"/> rounds once at this width on this CPU.</summary>
    private static bool Fused<T>(int width) => width switch
    {
        512 => Avx512F.IsSupported,
        256 => Fma.IsSupported,
        128 => Fma.IsSupported || (AdvSimd.IsSupported && (typeof(T) == typeof(float) || AdvSimd.Arm64.IsSupported)),
        _ => false,
    };

    private const int Outputs = 6;

    private static T Broadcast<T>()
        where T : IFloatingPointIeee754<T> => T.CreateTruncating(-2.5);

    private static T Draw<T>(Random random)
        where T : IFloatingPointIeee754<T> => T.CreateTruncating((random.NextDouble() * 8) - 4);

    private static long Bits<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? BitConverter.SingleToInt32Bits((float)(object)value) : BitConverter.DoubleToInt64Bits((double)(object)value);

    /// <summary>
    /// Every operation at once: x + y, x * y, (x &gt; y) &amp; z, MultiplyAdd(x, y, z), Zero + z (through Store at an
    /// offset), Create; and counts the elements each width handled.
    /// </summary>
    private readonly ref struct EveryOperationLoop<T>(T[] x, T[] y, T[] z, T[][] outputs, int[] widths) : IVectorLoop<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public nuint Vectors<TWidth, TVector>(nuint i, nuint count)
            where TWidth : struct, IVectorWidth<TVector, T>
            where TVector : struct
        {
            ref T xs = ref MemoryMarshal.GetArrayDataReference(x);
            ref T ys = ref MemoryMarshal.GetArrayDataReference(y);
            ref T zs = ref MemoryMarshal.GetArrayDataReference(z);
            nuint start = i;
            var broadcast = TWidth.Create(Broadcast<T>());
            for (; i + (nuint)TWidth.Count <= count; i += (nuint)TWidth.Count)
            {
                var a = TWidth.LoadUnsafe(ref xs, i);
                var b = TWidth.LoadUnsafe(ref ys, i);
                var c = TWidth.LoadUnsafe(ref zs, i);
                TWidth.StoreUnsafe(TWidth.Add(a, b), ref Output(0), i);
                TWidth.StoreUnsafe(TWidth.Multiply(a, b), ref Output(1), i);
                TWidth.StoreUnsafe(TWidth.BitwiseAnd(TWidth.GreaterThan(a, b), c), ref Output(2), i);
                TWidth.StoreUnsafe(TWidth.MultiplyAdd(a, b, c), ref Output(3), i);
                // A load and a store at an offset from a reference that is not the array's start.
                TWidth.StoreUnsafe(TWidth.Add(TWidth.Zero, TWidth.LoadUnsafe(ref Unsafe.Add(ref zs, i), 0)), ref Unsafe.Add(ref Output(4), i), 0);
                TWidth.StoreUnsafe(broadcast, ref Output(5), i);
            }

            widths[(TWidth.Count * Unsafe.SizeOf<T>()) switch { 64 => 0, 32 => 1, _ => 2 }] += (int)(i - start);
            return i;
        }

        public void Scalars(nuint i, nuint count)
        {
            widths[3] += (int)(count - i);
            for (; i < count; i++)
            {
                T a = x[i], b = y[i], c = z[i];
                outputs[0][i] = a + b;
                outputs[1][i] = a * b;
                outputs[2][i] = a > b ? c : T.Zero;
                outputs[3][i] = (a * b) + c;
                outputs[4][i] = T.Zero + c;
                outputs[5][i] = Broadcast<T>();
            }
        }

        private ref T Output(int index) => ref MemoryMarshal.GetArrayDataReference(outputs[index]);
    }
}
