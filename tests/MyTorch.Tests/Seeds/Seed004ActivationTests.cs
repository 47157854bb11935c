using System.Globalization;
using MyTorch.Seed;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>
/// Seed 004's activations used alone (task 3.1): <see cref="Activation.State"/> holds the last output and
/// <see cref="Activation.Derivative"/> is the analytic derivative at it, against the seed's formulas, hand-worked
/// numbers, and autograd. Any core element-wise module can be wrapped (LeakyReLU, Softplus and GELU here).
/// </summary>
public class Seed004ActivationTests
{
    private static double[] Values(Tensor t) => t.ToArray<double>();

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, string.Create(CultureInfo.InvariantCulture,
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R} (difference {Math.Abs(expected[i] - actual[i]):E3}, allowed {allowed:E3})."));
        }
    }

    private static void AssertShape(Tensor t, params int[] shape) =>
        Assert.True(t.Shape.SequenceEqual(shape), $"shape {Shapes.Format(t.Shape)}, expected {Shapes.Format(shape)}.");

    public static TheoryData<string> ActivationNames() => ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softplus", "GELU"];

    private static Activation MakeActivation(string name) => name switch
    {
        "Identity" => new Identity(),
        "Sigmoid" => new Sigmoid(),
        "Tanh" => new Tanh(),
        "ReLU" => new ReLU(),
        "LeakyReLU" => new Activation(new MyTorch.NN.LeakyReLU(0.2)),
        "Softplus" => new Activation(new MyTorch.NN.Softplus()),
        "GELU" => new Activation(new MyTorch.NN.GELU()),
        _ => throw new ArgumentException($"unknown activation {name}", nameof(name)),
    };


    /// <summary>Inputs including exactly 0 (and -0), tiny values either side of it, and large magnitudes.</summary>
    private static readonly double[] ActivationInputs = [-30, -3.5, -1, -0.25, -1e-12, -0.0, 0, 1e-12, 0.25, 1, 2.5, 30];

    private static double AnalyticDerivative(string name, double z)
    {
        switch (name)
        {
            case "Identity": return 1;
            case "Sigmoid": { double s = 1 / (1 + Math.Exp(-z)); return s * (1 - s); }
            case "Tanh": { double t = Math.Tanh(z); return 1 - t * t; }
            case "ReLU": return z > 0 ? 1 : 0;
            case "LeakyReLU": return z > 0 ? 1 : 0.2;
            case "Softplus": return z > 20 ? 1 : 1 / (1 + Math.Exp(-z)); // above 20 softplus is z itself (PyTorch's threshold)
            default: return double.NaN; // GELU: Phi(z) + z phi(z); checked against finite differences instead.
        }
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void ActivationStateAndDerivativeFollowSeed004(string name)
    {
        var activation = MakeActivation(name);
        Assert.Null(activation.State);
        var z = Tensor.FromArray(ActivationInputs, [3, 4]);
        var output = activation.Forward(z);

        // State holds the output.
        Assert.NotNull(activation.State);
        Assert.Equal(Values(output), Values(activation.State));
        Assert.False(activation.State.RequiresGrad);

        var derivative = activation.Derivative();
        AssertShape(derivative, 3, 4);
        var d = Values(derivative);

        // The analytic derivative, element by element (ReLU: 1 for z > 0, 0 for z <= 0, including exactly at 0).
        if (name != "GELU")
        {
            var expected = ActivationInputs.Select(v => AnalyticDerivative(name, v)).ToArray();
            AssertClose(expected, d, 1e-14, $"{name}.Derivative()");
        }
        else
        {
            const double h = 1e-6;
            var plus = Values(new MyTorch.NN.GELU().Forward(Tensor.FromArray(ActivationInputs.Select(v => v + h).ToArray())));
            var minus = Values(new MyTorch.NN.GELU().Forward(Tensor.FromArray(ActivationInputs.Select(v => v - h).ToArray())));
            var numeric = plus.Zip(minus, (p, m) => (p - m) / (2 * h)).ToArray();
            AssertClose(numeric, d, 1e-8, "GELU.Derivative() vs finite differences");
        }

        // Autograd's element-wise derivative: d(sum y)/dz.
        var zg = Tensor.FromArray(ActivationInputs, [3, 4], requiresGrad: true);
        var autograd = Autograd.Grad(MakeActivation(name).Function.Forward(zg).Sum(), zg)!;
        AssertClose(Values(autograd), d, 0, $"{name}.Derivative() vs autograd");
    }

    [Fact]
    public void ReluDerivativeIsZeroAtZero()
    {
        var relu = new ReLU();
        relu.Forward(Tensor.FromArray(new[] { 0.0, -0.0, 1e-300, -1e-300 }));
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 0.0 }, Values(relu.Derivative()));
        var z = Tensor.FromArray(new[] { 0.0, -0.0, 1e-300, -1e-300 }, requiresGrad: true);
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 0.0 }, Values(Autograd.Grad(new MyTorch.NN.ReLU().Forward(z).Sum(), z)!));
    }

    [Fact]
    public void StateTracksTheLastForwardInFloat32Too()
    {
        var sigmoid = new Sigmoid();
        sigmoid.Forward(Tensor.FromArray(new[] { 0f, 1f }));
        var y = sigmoid.Forward(Tensor.FromArray(new[] { -2f, 3f, 0f }));
        Assert.Equal(DType.Float32, sigmoid.State!.DType);
        Assert.Equal(y.ToArray(), sigmoid.State.ToArray());
        var s = y.ToArray();
        var d = sigmoid.Derivative().ToArray();
        for (int i = 0; i < s.Length; i++) Assert.Equal(s[i] * (1 - s[i]), d[i], 6);
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void DerivativeBeforeForwardThrows(string name)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => MakeActivation(name).Derivative());
        Assert.Contains("Forward", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Hand-worked numbers: S(ln 3) = 3/4, so S' = 3/16; tanh(ln 2) = 3/5, so tanh' = 16/25; ReLU' is 0 at 0.</summary>
    [Fact]
    public void WorkedNumbersFromTheSeedsFormulas()
    {
        var sigmoid = new Sigmoid();
        AssertClose([0.5, 0.75], Values(sigmoid.Forward(Tensor.FromArray(new[] { 0, Math.Log(3) }))), 1e-15, "S(z)");
        AssertClose([0.5, 0.75], Values(sigmoid.State!), 1e-15, "Sigmoid.State");
        AssertClose([0.25, 3.0 / 16], Values(sigmoid.Derivative()), 1e-15, "S'(z) = S(1 - S)");

        var tanh = new Tanh();
        AssertClose([0, 0.6], Values(tanh.Forward(Tensor.FromArray(new[] { 0, Math.Log(2) }))), 1e-15, "tanh(z)");
        AssertClose([1, 0.64], Values(tanh.Derivative()), 1e-15, "tanh'(z) = 1 - tanh²");

        var relu = new ReLU();
        Assert.Equal([0.0, 0, 2], Values(relu.Forward(Tensor.FromArray(new[] { -1.0, 0, 2 }))));
        Assert.Equal([0.0, 0, 1], Values(relu.Derivative()));

        var identity = new Identity();
        Assert.Equal([-1.0, 0, 2], Values(identity.Forward(Tensor.FromArray(new[] { -1.0, 0, 2 }))));
        Assert.Equal([1.0, 1, 1], Values(identity.Derivative()));
    }

    [Fact]
    public void ForwardKeepsTheCallersGraphAndDerivativeLeavesItAlone()
    {
        var z = Tensor.FromArray(new[] { -0.5, 0.25, 2 }, requiresGrad: true);
        var sigmoid = new Sigmoid();
        var a = sigmoid.Forward(z);
        var derivative = sigmoid.Derivative();
        Assert.Null(z.Grad);
        a.Sum().Backward();
        Assert.Equal(Values(derivative), Values(z.Grad!));
    }

    [Fact]
    public void CoreActivationsCarryNoState()
    {
        // The PyTorch-style modules are plain functions: no State, no Derivative, nothing kept between calls.
        foreach (var type in new[] { typeof(MyTorch.NN.Sigmoid), typeof(MyTorch.NN.ReLU), typeof(MyTorch.NN.Activation) })
        {
            Assert.Null(type.GetProperty("State"));
            Assert.Null(type.GetMethod("Derivative"));
            Assert.Empty(type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly));
        }
    }
}
