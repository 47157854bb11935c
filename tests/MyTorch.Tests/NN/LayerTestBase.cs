using System.Globalization;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// Helpers shared by the layer tests of MyTorch.NN (LayerGradCheckTests, LayerSeed004Tests, LayerBehaviourTests):
/// seeded float64 inputs, gradient checks, value comparisons and the activation names the theories run over.
/// </summary>
public abstract class LayerTestBase
{
    // ---- helpers -----------------------------------------------------------------------------------------------

    protected static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Seeded standard-normal float64 values (scaled and shifted), requiring grad unless told otherwise.</summary>
    protected static Tensor Randn64(ulong seed, int[] shape, double scale = 1, double offset = 0, bool requiresGrad = true)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = offset + scale * gen.NextNormal();
        return Tensor.FromArray(values, shape, requiresGrad);
    }

    /// <summary>Random sign, magnitude in [0.2, 1.7): away from the kink of ReLU and LeakyReLU at 0.</summary>
    protected static Tensor AwayFromZero(ulong seed, int[] shape)
    {
        var gen = new Generator(seed);
        var values = new double[Count(shape)];
        for (int i = 0; i < values.Length; i++)
            values[i] = (gen.NextDouble() < 0.5 ? -1 : 1) * (0.2 + 1.5 * gen.NextDouble());
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }

    protected static double[] Values(Tensor t) => t.ToArray<double>();

    protected static void AssertGradCheck(Func<Tensor[], Tensor> function, params Tensor[] inputs)
    {
        var result = GradCheck.Check(function, inputs);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(inputs.Where(t => t.RequiresGrad).Sum(t => t.Count), result.ElementsChecked);
    }

    protected static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, string.Create(CultureInfo.InvariantCulture,
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R} (difference {Math.Abs(expected[i] - actual[i]):E3}, allowed {allowed:E3})."));
        }
    }

    protected static void AssertShape(Tensor t, params int[] shape) =>
        Assert.True(t.Shape.SequenceEqual(shape), $"shape {Shapes.Format(t.Shape)}, expected {Shapes.Format(shape)}.");

    /// <summary>Sets a parameter to seeded random values (so gradients w.r.t. gamma, LayerNorm weight, ... are not at a trivial point).</summary>
    protected static void Randomize(Tensor parameter, ulong seed, double scale, double offset) =>
        parameter.CopyFrom(Randn64(seed, parameter.ShapeArray, scale, offset, requiresGrad: false).To(parameter.DType));

    public static TheoryData<string> ActivationNames() => ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softplus", "GELU"];

    protected static Activation MakeActivation(string name) => name switch
    {
        "Identity" => new Identity(),
        "Sigmoid" => new Sigmoid(),
        "Tanh" => new Tanh(),
        "ReLU" => new ReLU(),
        "LeakyReLU" => new LeakyReLU(0.2),
        "Softplus" => new Softplus(),
        "GELU" => new GELU(),
        _ => throw new ArgumentException($"unknown activation {name}", nameof(name)),
    };

    public static TheoryData<string> OutputActivationNames() =>
        ["NegativeSoftplus", "Bounded(-2,3)", "range:0,10", "relu", "softplus", "negative", "none"];

    protected static Module MakeOutputActivation(string name) => name switch
    {
        "NegativeSoftplus" => new NegativeSoftplus(),
        "Bounded(-2,3)" => new Bounded(-2, 3),
        _ => OutputActivations.Parse(name),
    };
}
