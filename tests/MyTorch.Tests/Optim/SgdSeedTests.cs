using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>
/// Seed 004's momentum rule, checked by hand: dW_k = beta * dW_(k-1) - lr * grad_k; W_k = W_(k-1) + dW_k,
/// with the buffer dW (SGD.MomentumBuffer) holding the velocity itself, learning rate included.
/// </summary>
public class SgdSeedTests
{
    private const double Exact = 1e-15;

    private static void AssertClose(double[] expected, Tensor actual)
    {
        var values = actual.ToArray<double>();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - values[i]) <= Exact, $"element {i}: {values[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void Seed004_MomentumBufferAndWeightsForThreeSteps()
    {
        // lr = 0.1, beta = 0.9, W_0 = [1, -2]; gradients [0.5, -1], [0.2, 0.4], [-0.3, 0.1].
        var w = Tensor.FromArray(new[] { 1.0, -2.0 }, requiresGrad: true);
        var sgd = new SGD([w], learningRate: 0.1, momentum: 0.9);
        Assert.Null(sgd.MomentumBuffer(w));

        // dW_1 = 0.9 * [0, 0] - 0.1 * [0.5, -1] = [-0.05, 0.1]; W_1 = [0.95, -1.9]
        w.Grad = Tensor.FromArray(new[] { 0.5, -1.0 });
        sgd.Step();
        AssertClose([-0.05, 0.1], sgd.MomentumBuffer(w)!);
        AssertClose([0.95, -1.9], w);

        // dW_2 = 0.9 * [-0.05, 0.1] - 0.1 * [0.2, 0.4] = [-0.065, 0.05]; W_2 = [0.885, -1.85]
        w.Grad = Tensor.FromArray(new[] { 0.2, 0.4 });
        sgd.Step();
        AssertClose([-0.065, 0.05], sgd.MomentumBuffer(w)!);
        AssertClose([0.885, -1.85], w);

        // dW_3 = 0.9 * [-0.065, 0.05] - 0.1 * [-0.3, 0.1] = [-0.0285, 0.035]; W_3 = [0.8565, -1.815]
        w.Grad = Tensor.FromArray(new[] { -0.3, 0.1 });
        sgd.Step();
        AssertClose([-0.0285, 0.035], sgd.MomentumBuffer(w)!);
        AssertClose([0.8565, -1.815], w);
        Assert.Equal(3, sgd.StepCount);
    }

    [Fact]
    public void Seed004_NesterovLooksAheadAlongTheVelocity()
    {
        // W_k = W_(k-1) + beta * dW_k - lr * grad_k. Step 1: dW_1 = -0.1 * [0.5, -1] = [-0.05, 0.1];
        // W_1 = [1, -2] + 0.9 * [-0.05, 0.1] - 0.1 * [0.5, -1] = [0.905, -1.81].
        var w = Tensor.FromArray(new[] { 1.0, -2.0 }, requiresGrad: true);
        var sgd = new SGD([w], learningRate: 0.1, momentum: 0.9, nesterov: true);
        w.Grad = Tensor.FromArray(new[] { 0.5, -1.0 });
        sgd.Step();
        AssertClose([-0.05, 0.1], sgd.MomentumBuffer(w)!);
        AssertClose([0.905, -1.81], w);
        // Step 2: dW_2 = 0.9 * [-0.05, 0.1] - 0.1 * [0.2, 0.4] = [-0.065, 0.05];
        // W_2 = [0.905, -1.81] + 0.9 * [-0.065, 0.05] - 0.1 * [0.2, 0.4] = [0.8265, -1.805].
        w.Grad = Tensor.FromArray(new[] { 0.2, 0.4 });
        sgd.Step();
        AssertClose([-0.065, 0.05], sgd.MomentumBuffer(w)!);
        AssertClose([0.8265, -1.805], w);
    }

    [Fact]
    public void PlainSgdKeepsNoBufferAndSkipsParametersWithoutGradient()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var frozen = Tensor.FromArray(new[] { 3.0 }, requiresGrad: true);
        var sgd = new SGD([w, frozen], learningRate: 0.5);
        w.Grad = Tensor.FromArray(new[] { 1.0, -1.0 });
        sgd.Step();
        AssertClose([0.5, 2.5], w);
        AssertClose([3.0], frozen);
        Assert.Null(sgd.MomentumBuffer(w));
    }
}
