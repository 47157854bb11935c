using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

public class ActivationKernelsTests
{
    /// <summary>Every length 0..70 so the vector loop and every leftover length run; compared with the scalar rule.</summary>
    [Fact]
    public void ReluBackwardMatchesTheScalarRuleAtEveryLength()
    {
        var generator = new Generator(3);
        for (int length = 0; length <= 70; length++)
        {
            var x = Enumerable.Range(0, length).Select(i => i % 7 == 0 ? 0f : (float)(generator.NextDouble() * 2 - 1)).ToArray();
            var g = Enumerable.Range(0, length).Select(_ => (float)generator.NextDouble()).ToArray();
            var actual = new float[length];
            ActivationKernels.ReluBackward<float>(g, x, actual);
            for (int i = 0; i < length; i++) Assert.Equal(x[i] > 0 ? g[i] : 0f, actual[i]);

            var xd = x.Select(v => (double)v).ToArray();
            var gd = g.Select(v => (double)v).ToArray();
            var actualDouble = new double[length];
            ActivationKernels.ReluBackward<double>(gd, xd, actualDouble);
            for (int i = 0; i < length; i++) Assert.Equal(xd[i] > 0 ? gd[i] : 0d, actualDouble[i]);
        }
    }
}
