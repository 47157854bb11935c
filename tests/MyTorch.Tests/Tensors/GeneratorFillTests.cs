using Xunit;

namespace MyTorch.Tests.Tensors;

/// <summary>The generator's bulk fill draws exactly the numbers of one NextDouble per element, and leaves the same state.</summary>
public class GeneratorFillTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(257)]
    public void FillUniform_IsNextDoublePerElement(int count)
    {
        var one = new Generator(99);
        var bulk = new Generator(99);
        var expected = Enumerable.Range(0, count).Select(_ => one.NextDouble()).ToArray();
        var doubles = new double[count];
        bulk.FillUniform<double>(doubles);
        Assert.Equal(expected, doubles);
        Assert.Equal(one.NextUInt64(), bulk.NextUInt64());

        var floats = new float[count];
        new Generator(99).FillUniform<float>(floats);
        Assert.Equal(expected.Select(v => (float)v).ToArray(), floats);
    }
}
