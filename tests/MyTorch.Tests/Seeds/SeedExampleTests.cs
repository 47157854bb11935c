using MyTorch;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>The worked examples of the seed documents, reproduced by autograd.</summary>
public class SeedExampleTests
{
    private static Tensor Scalar(double value) => Tensor.Scalar(value, DType.Float64, requiresGrad: true);

    /// <summary>
    /// Seeds 000/001, question 1: h1 = f1(w1 x + b1), h2 = f2(w2 x + b2), y = f3(w3 h1 + w4 h2 + b3), with
    /// L = 1/2 (y - t)^2. Autograd must give the seed's closed-form chain-rule products.
    /// </summary>
    [Fact]
    public void Seed000_Question1_ClosedFormDerivatives()
    {
        var (x, w1, b1, w2, b2, w3, w4, b3) = (Scalar(0.7), Scalar(-1.3), Scalar(0.2), Scalar(0.8), Scalar(-0.4), Scalar(1.5), Scalar(-0.6), Scalar(0.1));
        double target = 0.25;
        // f1 = sigmoid, f2 = tanh, f3 = sigmoid.
        var h1 = (w1 * x + b1).Sigmoid();
        var h2 = (w2 * x + b2).Tanh();
        var y = (w3 * h1 + w4 * h2 + b3).Sigmoid();
        var loss = 0.5 * (y - target).Square();
        loss.Backward();

        double X = 0.7, W1 = -1.3, B1 = 0.2, W2 = 0.8, B2 = -0.4, W3 = 1.5, W4 = -0.6, B3 = 0.1;
        double H1 = Sigmoid(W1 * X + B1), H2 = Math.Tanh(W2 * X + B2), Y = Sigmoid(W3 * H1 + W4 * H2 + B3);
        double f1 = H1 * (1 - H1), f2 = 1 - H2 * H2, f3 = Y * (1 - Y);
        double dLdy = Y - target;

        Assert.Equal(dLdy * f3 * W3 * f1 * X, w1.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3 * W4 * f2 * X, w2.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3 * H1, w3.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3 * H2, w4.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3 * W3 * f1, b1.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3 * W4 * f2, b2.Grad!.Item(), 14);
        Assert.Equal(dLdy * f3, b3.Grad!.Item(), 14);
        // x reaches y along two paths, so by the chain rule its gradient is the sum of the seed's two products.
        Assert.Equal(dLdy * f3 * W3 * f1 * W1 + dLdy * f3 * W4 * f2 * W2, x.Grad!.Item(), 14);
    }

    /// <summary>
    /// Seed 000, question 2: h = 2x + 1, z = x^2, y = sigmoid(h). y is not a function of z in the graph, so
    /// dy/dz is not defined: null (or zeros on request). dy/dh = sigmoid(h)(1 - sigmoid(h)).
    /// </summary>
    [Fact]
    public void Seed000_Question2_GradientOfUnrelatedNodeIsNotDefined()
    {
        var x = Scalar(0.3);
        var h = 2 * x + 1;
        var z = x.Square();
        var y = h.Sigmoid();

        Assert.Null(Autograd.Grad(y, z, retainGraph: true, allowUnused: true));
        Assert.Equal(0.0, Autograd.Grad(y, z, retainGraph: true, materializeGrads: true)!.Item());
        var error = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(y, z, retainGraph: true));
        Assert.Contains("not part of the graph", error.Message, StringComparison.Ordinal);

        double s = Sigmoid(2 * 0.3 + 1);
        Assert.Equal(s * (1 - s), Autograd.Grad(y, h)!.Item(), 15);
    }

    /// <summary>Seed 000's variant z = x^2 + h: z now depends on h, but y still does not depend on z.</summary>
    [Fact]
    public void Seed000_Question2_VariantWithZDependingOnH()
    {
        var x = Scalar(-0.8);
        var h = 2 * x + 1;
        var z = x.Square() + h;
        var y = h.Sigmoid();
        var grads = Autograd.Grad([y], [z, h, x], allowUnused: true);
        Assert.Null(grads[0]);
        double s = Sigmoid(2 * -0.8 + 1);
        Assert.Equal(s * (1 - s), grads[1]!.Item(), 15);
        Assert.Equal(2 * s * (1 - s), grads[2]!.Item(), 15);
    }

    /// <summary>
    /// Seed 003: z1 = x w1, a1 = sigmoid(z1), z2 = a1 w2, a2 = sigmoid(z2), Loss = 1/2 (a2 - y)^2.
    /// dLoss/dw2 = (a2 - y) a2 (1 - a2) a1; dLoss/dw1 = (a2 - y) a2 (1 - a2) w2 a1 (1 - a1) x;
    /// and w1 &lt;- w1 - alpha dLoss/dw1.
    /// </summary>
    [Fact]
    public void Seed003_SigmoidChain_GradientsAndUpdate()
    {
        double X = 1.5, W1 = 0.4, W2 = -0.9, Y = 1, alpha = 0.5;
        var x = Tensor.Scalar(X, DType.Float64);
        var w1 = Scalar(W1);
        var w2 = Scalar(W2);
        var a1 = (x * w1).Sigmoid();
        var a2 = (a1 * w2).Sigmoid();
        var loss = 0.5 * (a2 - Y).Square();
        loss.Backward();

        double A1 = Sigmoid(X * W1), A2 = Sigmoid(A1 * W2);
        double dw2 = (A2 - Y) * A2 * (1 - A2) * A1;
        double dw1 = (A2 - Y) * A2 * (1 - A2) * W2 * A1 * (1 - A1) * X;
        Assert.Equal(dw2, w2.Grad!.Item(), 15);
        Assert.Equal(dw1, w1.Grad!.Item(), 15);

        using (Autograd.NoGrad()) w1.AddInPlace(w1.Grad!, -alpha);
        Assert.Equal(W1 - alpha * dw1, w1.Item(), 15);
    }

    /// <summary>The 4-4-3-3 network of seed 002, built in column-vector form as the seed writes it.</summary>
    private sealed class Seed002Network
    {
        public readonly Tensor[] W = new Tensor[3];
        public readonly Tensor[] B = new Tensor[3];
        public readonly Tensor X = Tensor.FromArray(new double[] { 1, 0, 1, 0 }, [4, 1]);
        public readonly Tensor Y = Tensor.FromArray(new double[] { 0, 1, 0 }, [3, 1]);
        public Tensor Z1 = null!, H1 = null!, Z2 = null!, H2 = null!, Z3 = null!;

        public Seed002Network()
        {
            int[] sizes = [4, 4, 3, 3];
            for (int l = 0; l < 3; l++)
            {
                W[l] = Tensor.Full([sizes[l + 1], sizes[l]], 0.1, DType.Float64, requiresGrad: true);
                B[l] = Tensor.Full([sizes[l + 1], 1], 0.1, DType.Float64, requiresGrad: true);
            }
        }

        public Tensor Forward()
        {
            Z1 = (W[0].MatMul(X) + B[0]).RetainGrad();
            H1 = Z1.Tanh();
            Z2 = (W[1].MatMul(H1) + B[1]).RetainGrad();
            H2 = Z2.Tanh();
            Z3 = (W[2].MatMul(H2) + B[2]).RetainGrad();
            return Z3;
        }
    }

    [Fact]
    public void Seed002_Question1_ForwardNumbers()
    {
        var net = new Seed002Network();
        var yHat = net.Forward();
        var loss = 0.5 * (yHat - net.Y).Square().Sum();
        foreach (var v in net.Z1.ToArray<double>()) Assert.Equal(0.3, v, 12);
        foreach (var v in net.H1.ToArray<double>()) Assert.Equal(0.2913, v, 4);
        foreach (var v in net.Z2.ToArray<double>()) Assert.Equal(0.2165, v, 4);
        // The seed prints z3 as 0.16936, a transposition of digits: 0.16396 is the value that gives its loss.
        foreach (var v in net.Z3.ToArray<double>()) Assert.Equal(0.16396, v, 5);
        Assert.Equal(0.376, loss.Item(), 3);
    }

    /// <summary>
    /// Seed 002's backward rules, layer by layer: dL/dz3 = y_hat - y (identity output); dL/dW = dL/dz h^T;
    /// dL/db = dL/dz; dL/dh(l-1) = W^T dL/dz; dL/dz = dL/dh ∘ (1 - h^2) for tanh. Then one SGD step, lr 0.1.
    /// </summary>
    [Fact]
    public void Seed002_Question1_BackwardByTheSeedsRulesAndOneSgdStep()
    {
        var net = new Seed002Network();
        var loss = 0.5 * (net.Forward() - net.Y).Square().Sum();
        loss.Backward();

        // The seed's rules, written out with plain arrays.
        double[] x = [1, 0, 1, 0], y = [0, 1, 0];
        double[] z1 = Affine(Fill(4, 4), x, 4), h1 = z1.Select(Math.Tanh).ToArray();
        double[] z2 = Affine(Fill(3, 4), h1, 3), h2 = z2.Select(Math.Tanh).ToArray();
        double[] z3 = Affine(Fill(3, 3), h2, 3);
        double[] dz3 = z3.Zip(y, (a, b) => a - b).ToArray();
        double[] dh2 = TransposeTimes(Fill(3, 3), dz3, 3);
        double[] dz2 = dh2.Zip(h2, (d, h) => d * (1 - h * h)).ToArray();
        double[] dh1 = TransposeTimes(Fill(3, 4), dz2, 4);
        double[] dz1 = dh1.Zip(h1, (d, h) => d * (1 - h * h)).ToArray();
        (double[] dz, double[] input)[] layers = [(dz1, x), (dz2, h1), (dz3, h2)];

        AssertClose(dz3, net.Z3.Grad!.ToArray<double>());
        AssertClose(dz2, net.Z2.Grad!.ToArray<double>());
        AssertClose(dz1, net.Z1.Grad!.ToArray<double>());
        for (int l = 0; l < 3; l++)
        {
            var (dz, input) = layers[l];
            AssertClose(Outer(dz, input), net.W[l].Grad!.ToArray<double>());
            AssertClose(dz, net.B[l].Grad!.ToArray<double>());
        }

        const double lr = 0.1;
        using (Autograd.NoGrad())
        {
            for (int l = 0; l < 3; l++)
            {
                net.W[l].AddInPlace(net.W[l].Grad!, -lr);
                net.B[l].AddInPlace(net.B[l].Grad!, -lr);
            }
        }
        for (int l = 0; l < 3; l++)
        {
            var (dz, input) = layers[l];
            AssertClose(Outer(dz, input).Select(g => 0.1 - lr * g).ToArray(), net.W[l].ToArray<double>());
            AssertClose(dz.Select(g => 0.1 - lr * g).ToArray(), net.B[l].ToArray<double>());
        }
        // The step lowers the loss.
        var after = 0.5 * (net.Forward() - net.Y).Square().Sum();
        Assert.True(after.Item() < loss.Item());
    }

    /// <summary>Seed 002, question 2: with a softmax output and cross-entropy, dL/dz3 = softmax(z3) - y.</summary>
    [Fact]
    public void Seed002_Question2_SoftmaxCrossEntropyGradient()
    {
        var net = new Seed002Network();
        var z3 = net.Forward();
        var loss = -(net.Y * z3.LogSoftmax(0)).Sum();
        var dz3 = Autograd.Grad(loss, z3)!.ToArray<double>();
        var softmax = z3.Softmax(0).ToArray<double>();
        var y = net.Y.ToArray<double>();
        AssertClose(softmax.Zip(y, (p, t) => p - t).ToArray(), dz3);
        // All of z3 is equal, so softmax is uniform: dL/dz3 = [1/3, 1/3 - 1, 1/3].
        AssertClose([1.0 / 3, 1.0 / 3 - 1, 1.0 / 3], dz3);
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static double[,] Fill(int rows, int columns)
    {
        var w = new double[rows, columns];
        for (int r = 0; r < rows; r++) for (int c = 0; c < columns; c++) w[r, c] = 0.1;
        return w;
    }

    private static double[] Affine(double[,] w, double[] input, int rows)
    {
        var z = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            z[r] = 0.1;
            for (int c = 0; c < input.Length; c++) z[r] += w[r, c] * input[c];
        }
        return z;
    }

    private static double[] TransposeTimes(double[,] w, double[] dz, int columns)
    {
        var result = new double[columns];
        for (int c = 0; c < columns; c++)
            for (int r = 0; r < dz.Length; r++) result[c] += w[r, c] * dz[r];
        return result;
    }

    private static double[] Outer(double[] a, double[] b) => a.SelectMany(x => b.Select(y => x * y)).ToArray();

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 14);
    }
}
