using System.Numerics;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>
/// The data path's kernels against plain loops, on every length around the vector widths (the vector body, the
/// unrolled body and the scalar tail), so a length that is not a multiple of the width cannot lose or misplace an element.
/// </summary>
public class DataKernelsTests
{
    // Past four of the widest vectors (64 bytes) and an unrolled block of float64 ones, with every tail length.
    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 4 * Vector<byte>.Count + 9).Concat([1000, 4099, 65_537]);

    [Fact]
    public void WidenToSingle_ConvertsEveryByteOnEveryLength()
    {
        var random = new Random(1);
        foreach (int length in Lengths())
        {
            var source = new byte[length];
            random.NextBytes(source);
            if (length > 1) (source[0], source[^1]) = (255, 0);
            var destination = new float[length + 1];
            destination[^1] = -7;   // the element past the end must stay as it was
            DataKernels.WidenToSingle(source, destination.AsSpan(0, length));
            for (int i = 0; i < length; i++) Assert.Equal(source[i], destination[i]);
            Assert.Equal(-7, destination[^1]);
        }
    }

    [Fact]
    public void WidenToSingle_RejectsADestinationOfAnotherLength() =>
        Assert.Throws<ArgumentException>(() => DataKernels.WidenToSingle(new byte[5], new float[4]));

    [Fact]
    public void WidenToSingle_EveryByteValue()
    {
        var source = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var destination = new float[256];
        DataKernels.WidenToSingle(source, destination);
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (float)i), destination);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void IndexOfNonFinite_FindsTheFirstAtEveryPosition_Float32(float bad)
    {
        foreach (int length in Lengths().Where(n => n <= 200))
        {
            var values = Enumerable.Range(0, length).Select(i => i * 0.5f - 3).ToArray();
            Assert.Equal(-1, DataKernels.IndexOfNonFinite<float>(values));
            for (int at = 0; at < length; at++)
            {
                var copy = (float[])values.Clone();
                copy[at] = bad;
                if (at + 3 < length) copy[at + 3] = float.NaN;   // a later one must not win
                Assert.Equal(at, DataKernels.IndexOfNonFinite<float>(copy));
            }
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void IndexOfNonFinite_FindsTheFirstAtEveryPosition_Float64(double bad)
    {
        foreach (int length in Lengths().Where(n => n <= 200))
        {
            var values = Enumerable.Range(0, length).Select(i => i * 1e300).ToArray();   // large but finite
            Assert.Equal(-1, DataKernels.IndexOfNonFinite<double>(values));
            for (int at = 0; at < length; at++)
            {
                var copy = (double[])values.Clone();
                copy[at] = bad;
                Assert.Equal(at, DataKernels.IndexOfNonFinite<double>(copy));
            }
        }
    }

    [Fact]
    public void IndexOfNonFinite_AcceptsTheExtremeFiniteValues()
    {
        float[] values = [float.MaxValue, float.MinValue, float.Epsilon, -0f, 0f, float.MaxValue, float.MinValue, 1, float.MaxValue, float.MaxValue,
            float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue,
            float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue,
            float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue, float.MaxValue];
        Assert.Equal(-1, DataKernels.IndexOfNonFinite<float>(values));
    }

    [Fact]
    public void Divide_GivesTheDivisionOpsBits_InPlaceToo()
    {
        var generator = new Generator(3);
        foreach (int length in Lengths())
        {
            var x = Tensor.Uniform([length], -300, 300, generator);
            var expected = (x / 255.0).ToArray();
            var result = new float[length];
            DataKernels.Divide<float>(x.ToArray(), 255f, result);
            Assert.Equal(expected, result);
            var inPlace = x.ToArray();
            DataKernels.Divide<float>(inPlace, 255f, inPlace);
            Assert.Equal(expected, inPlace);
        }
    }

    [Fact]
    public void Standardize_OneMeanAndStd_GivesTheBroadcastOpsBits()
    {
        var generator = new Generator(4);
        foreach (int length in Lengths())
        {
            var x = Tensor.Uniform([length], 0, 255, generator);
            var mean = Tensor.Scalar(72.94, DType.Float32);
            var std = Tensor.Scalar(90.02, DType.Float32);
            var expected = ((x - mean) / std).ToArray();
            var values = x.ToArray();
            DataKernels.Standardize<float>(values, [mean.ToArray()[0]], [std.ToArray()[0]], values);
            Assert.Equal(expected, values);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(13)]
    [InlineData(40)]
    public void Standardize_PerFeature_GivesTheBroadcastOpsBits(int features)
    {
        var generator = new Generator(5);
        foreach (int rows in new[] { 1, 2, 5, 33 })
        {
            var x = Tensor.Normal([rows, features], 3, 10, generator, DType.Float64);
            var mean = Tensor.Normal([features], 3, 1, generator, DType.Float64);
            var std = Tensor.Uniform([features], 0.5, 4, generator, DType.Float64);
            var expected = ((x - mean) / std).ToArray<double>();
            var result = new double[rows * features];
            DataKernels.Standardize<double>(x.ToArray<double>(), mean.ToArray<double>(), std.ToArray<double>(), result);
            Assert.Equal(expected, result);
        }
    }

    [Fact]
    public void Standardize_RejectsValuesThatAreNotWholeRows() =>
        Assert.Throws<ArgumentException>(() => DataKernels.Standardize<float>(new float[7], new float[3], new float[3], new float[7]));

    [Fact]
    public void Moments_MatchAPlainFloat64Loop()
    {
        var generator = new Generator(6);
        foreach (int length in Lengths().Where(n => n > 0))
        {
            var values = Tensor.Normal([length], 50, 30, generator).ToArray();
            var (sum, min, max, squares) = DataKernels.Moments(values, threads: 1);
            double expectedSum = values.Sum(v => (double)v);
            double mean = expectedSum / length;
            double expectedSquares = values.Sum(v => (v - mean) * (v - mean));
            Assert.Equal(expectedSum, sum, 1e-9 * values.Sum(v => Math.Abs((double)v)));
            Assert.Equal(expectedSquares, squares, 1e-9 * Math.Max(expectedSquares, 1));
            Assert.Equal(values.Min(), min);
            Assert.Equal(values.Max(), max);

            var wide = values.Select(v => (double)v).ToArray();
            var (sum64, min64, max64, squares64) = DataKernels.Moments(wide, threads: 1);
            Assert.Equal(expectedSum, sum64, 1e-9 * values.Sum(v => Math.Abs((double)v)));
            Assert.Equal(expectedSquares, squares64, 1e-9 * Math.Max(expectedSquares, 1));
            Assert.Equal(min, min64);
            Assert.Equal(max, max64);
        }
    }

    [Fact]
    public void Moments_KeepTheFirstOfMinusZeroAndZero()
    {
        foreach (int length in new[] { 1, 5, 17, 64, 77 })
        {
            foreach (int first in new[] { 0, length / 2, length - 1 })
            {
                // Only zeros: the extreme is whichever zero comes first, whatever lane it falls in.
                var values = new float[length];
                Array.Fill(values, first % 2 == 0 ? 0f : -0f);
                values[first] = first % 2 == 0 ? -0f : 0f;
                for (int i = 0; i < first; i++) values[i] = 1;
                var (_, min, _, _) = DataKernels.Moments(values, threads: 1);
                float expected = first % 2 == 0 ? -0f : 0f;
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(min));
            }
        }
    }

    [Fact]
    public void Moments_DoNotDependOnTheThreadCount()
    {
        // Blocks of several sizes, the last one partial, and a minus zero that must win in a later block.
        var values = Tensor.Normal([DataKernels.MomentBlock * 9 + 123], 100, 40, new Generator(8)).ToArray();
        var one = DataKernels.Moments(values, threads: 1);
        Assert.Equal(one, DataKernels.Moments(values, threads: 2));
        Assert.Equal(one, DataKernels.Moments(values, threads: 7));
        Array.Fill(values, 5f);
        values[DataKernels.MomentBlock * 3 + 1] = -0f;
        values[DataKernels.MomentBlock * 5] = 0f;
        values[DataKernels.MomentBlock * 9 + 100] = 9f;
        var zeros = DataKernels.Moments(values, threads: 2);
        Assert.True(double.IsNegative(zeros.Min) && zeros.Min == 0);
        Assert.Equal(9, zeros.Max);
    }

    [Fact]
    public void ColumnMoments_AccumulateRowAfterRowLikeTheReductions()
    {
        var generator = new Generator(7);
        foreach (int columns in new[] { 2, 3, 5, 8, 11 })
        {
            foreach (int rows in new[] { 1, 2, 9 })
            {
                var x = Tensor.Normal([rows, columns], -4, 100, generator);
                var sum = new double[columns];
                var min = new double[columns];
                var max = new double[columns];
                var squares = new double[columns];
                DataKernels.ColumnMoments<float>(x.ToArray(), sum, min, max, squares);

                var wide = x.To(DType.Float64);
                var mean = wide.Mean(0, keepDim: true);
                Assert.Equal(wide.Sum(0).ToArray<double>(), sum);
                Assert.Equal(wide.Min(0).ToArray<double>(), min);
                Assert.Equal(wide.Max(0).ToArray<double>(), max);
                Assert.Equal(((wide - mean) * (wide - mean)).Sum(0).ToArray<double>(), squares);
            }
        }
    }
}
