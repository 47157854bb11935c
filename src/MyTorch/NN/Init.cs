using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Weight initializers. Each fills a tensor in place through a seedable <see cref="Generator"/> and returns it.
/// </summary>
/// <remarks>
/// Fans follow MyTorch's layout: a 2-D weight is (in, out), so fan-in is its first dimension and fan-out its
/// second (PyTorch's (out, in) weight has them the other way round; the numbers drawn are the same).
/// </remarks>
public static class Init
{
    /// <summary>Every element set to <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) return tensor.Fill(value);
    }

    /// <summary>Zeros.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Ones.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>Uniform on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) return tensor.CopyFrom(Tensor.Uniform(tensor.ShapeArray, low, high, generator, tensor.DType));
    }

    /// <summary>Normal with mean <paramref name="mean"/> and standard deviation <paramref name="std"/>.</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) return tensor.CopyFrom(Tensor.Normal(tensor.ShapeArray, mean, std, generator, tensor.DType));
    }

    /// <summary>Xavier/Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Xavier/Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fanIn + fanOut)).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// Kaiming/He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = sqrt(2 / (1 + a²)) for (leaky) ReLU with
    /// negative slope <paramref name="a"/>; fan is fan-in unless <paramref name="fanOut"/>.
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, bool fanOut = false, Generator? generator = null)
    {
        var fans = Fans(tensor);
        double bound = Math.Sqrt(2.0 / (1 + a * a)) * Math.Sqrt(3.0 / (fanOut ? fans.FanOut : fans.FanIn));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Kaiming/He normal: N(0, std²) with std = sqrt(2 / (1 + a²)) / sqrt(fan).</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, bool fanOut = false, Generator? generator = null)
    {
        var fans = Fans(tensor);
        return Normal(tensor, 0, Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(fanOut ? fans.FanOut : fans.FanIn), generator);
    }

    /// <summary>Fan-in and fan-out of a weight in MyTorch's (in, out) layout.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw new TensorShapeException(
                $"init: fan-in and fan-out need a weight with at least 2 dimensions, got {Shapes.Format(tensor.Shape)}.", nameof(tensor));
        int receptive = 1;
        for (int d = 2; d < tensor.Rank; d++) receptive *= tensor.Shape[d];
        return (tensor.Shape[0] * receptive, tensor.Shape[1] * receptive);
    }

    /// <summary>Parses an initializer name as used on the command line (xavier, kaiming, normal, uniform, zeros).</summary>
    public static Func<Tensor, Generator, Tensor> ByName(string name) => name.ToLowerInvariant() switch
    {
        "xavier" or "glorot" or "xavier-uniform" => (t, g) => XavierUniform(t, 1, g),
        "xavier-normal" => (t, g) => XavierNormal(t, 1, g),
        "kaiming" or "he" or "kaiming-uniform" => (t, g) => KaimingUniform(t, 0, false, g),
        "kaiming-normal" => (t, g) => KaimingNormal(t, 0, false, g),
        "normal" => (t, g) => Normal(t, 0, 1, g),
        "uniform" => (t, g) => Uniform(t, -1, 1, g),
        "zeros" => (t, _) => Zeros(t),
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"Unknown initializer '{name}'; expected xavier, xavier-normal, kaiming, kaiming-normal, normal, uniform or zeros."), nameof(name)),
    };
}
