using MyTorch.Losses;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;
using Xunit;

namespace MyTorch.Tests.Losses;

/// <summary>
/// Seed 001, question 3: a two-class problem can be trained with binary cross-entropy on one sigmoid output
/// (Net-1) or with cross-entropy on two softmax outputs (Net-2). With Net-2's logits [a, a + z] (differing by
/// Net-1's logit z) the two are the same model: sigmoid(z) = softmax([a, a + z])[1], the losses are equal, and
/// so is the gradient with respect to z, p - y.
/// </summary>
public class BinaryClassificationTests
{
    private static readonly double[] Z = [-6, -3, -0.5, 0, 0.7, 2, 8];
    private static readonly long[] Labels = [0, 1, 1, 0, 1, 0, 1];

    private static Tensor LabelsAsFloat() => Tensor.FromArray(Array.ConvertAll(Labels, l => (double)l));

    /// <summary>Net-2's two logits per example, [a, a + z], as a differentiable function of z.</summary>
    private static Tensor TwoOutputLogits(Tensor z, Tensor offset)
    {
        var column = z.Reshape(-1, 1);
        var a = offset.Reshape(-1, 1);
        return Tensor.Concat([a, a + column], 1);
    }

    [Fact]
    public void SigmoidOfTheLogitIsTheSecondSoftmaxOutput()
    {
        var z = Tensor.FromArray(Z);
        var offset = Tensor.FromArray(new double[] { 0, 1.5, -2, 0.3, 10, -7, 0 });
        var sigmoid = z.Sigmoid().ToArray<double>();
        var softmax = TwoOutputLogits(z, offset).Softmax(1);
        for (int i = 0; i < Z.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-Z[i])), sigmoid[i], 1e-15);
            Assert.Equal(sigmoid[i], softmax.At(i, 1), 1e-15);
            Assert.Equal(1 - sigmoid[i], softmax.At(i, 0), 1e-15);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(3.25)]
    [InlineData(-40.0)]
    public void BinaryAndTwoClassCrossEntropyAgreeInLossAndGradient(double offsetValue)
    {
        var y = LabelsAsFloat();
        var offset = Tensor.Full([Z.Length], offsetValue, DType.Float64);

        // Net-1: one output, binary cross-entropy on the logit.
        var z1 = Tensor.FromArray(Z, requiresGrad: true);
        var bce = new BCEWithLogitsLoss(Reduction.Sum).Forward(z1, y);
        bce.Backward();

        // Net-1 again, with the sigmoid applied first and BCELoss on the probability.
        var z2 = Tensor.FromArray(Z, requiresGrad: true);
        var bceOnProbabilities = new BCELoss(Reduction.Sum).Forward(z2.Sigmoid(), y);
        bceOnProbabilities.Backward();

        // Net-2: two outputs, softmax cross-entropy with class indices.
        var z3 = Tensor.FromArray(Z, requiresGrad: true);
        var crossEntropy = new CrossEntropyLoss(Reduction.Sum).Forward(TwoOutputLogits(z3, offset), Tensor.FromArray(Labels));
        crossEntropy.Backward();

        // Net-2 with one-hot targets through the seed's criterion.
        var z4 = Tensor.FromArray(Z, requiresGrad: true);
        var seedCriterion = new SoftmaxCrossEntropy(Reduction.Sum);
        var seedLoss = seedCriterion.Forward(TwoOutputLogits(z4, offset), LossGradCheckTests.OneHot(Labels, 2));
        seedLoss.Backward();

        Assert.Equal(bce.Item(), bceOnProbabilities.Item(), 1e-12);
        Assert.Equal(bce.Item(), crossEntropy.Item(), 1e-12);
        Assert.Equal(bce.Item(), seedLoss.Item(), 1e-12);

        for (int i = 0; i < Z.Length; i++)
        {
            double p = 1 / (1 + Math.Exp(-Z[i]));
            double expected = p - Labels[i]; // dL/dz = sigmoid(z) - y
            Assert.Equal(expected, z1.Grad!.At(i), 1e-15);
            Assert.Equal(expected, z2.Grad!.At(i), 1e-12);
            Assert.Equal(expected, z3.Grad!.At(i), 1e-15);
            Assert.Equal(expected, z4.Grad!.At(i), 1e-15);
            // The seed criterion's Derivative(): softmax - one-hot, whose second column is p - y and first -(p - y).
            Assert.Equal(expected, seedCriterion.Derivative().At(i, 1), 1e-15);
            Assert.Equal(-expected, seedCriterion.Derivative().At(i, 0), 1e-15);
        }
    }

    [Fact]
    public void PerExampleLossesAgree()
    {
        var z = Tensor.FromArray(Z);
        var bce = new BCEWithLogitsLoss(Reduction.None).Forward(z, LabelsAsFloat());
        var crossEntropy = new SoftmaxCrossEntropy().Forward(TwoOutputLogits(z, Tensor.Zeros([Z.Length], DType.Float64)),
            Tensor.FromArray(Labels));
        Assert.Equal([Z.Length], bce.Shape.ToArray());
        Assert.Equal([Z.Length], crossEntropy.Shape.ToArray());
        for (int i = 0; i < Z.Length; i++)
        {
            // -log sigmoid(z) for y = 1, -log(1 - sigmoid(z)) = -log sigmoid(-z) for y = 0: softplus(-z) or softplus(z).
            double signed = Labels[i] == 1 ? -Z[i] : Z[i];
            double expected = Math.Max(signed, 0) + Math.Log(1 + Math.Exp(-Math.Abs(signed)));
            Assert.Equal(expected, bce.At(i), 1e-14);
            Assert.Equal(expected, crossEntropy.At(i), 1e-14);
        }
    }
}
