using MyTorch.Seed;
using Xunit;

namespace MyTorch.Tests.Docs;

// The seed API's page blocks: their names (MLP, Sigmoid, Linear) are the seed's, not MyTorch.NN's.
public partial class DocumentationTests
{
    [Fact]
    public void Seed004Mlp()
    {
        var init = new Generator(0);
        var mlp = new MLP(784, 10, [64, 32], [new Sigmoid(), new Sigmoid(), new Identity()],
            weightInitFn: (i, o) => Tensor.Randn([i, o], init),
            biasInitFn: o => Tensor.Zeros([o]),
            criterion: new SoftmaxCrossEntropy(), lr: 0.008, momentum: 0.856, numBnLayers: 1);

        var x = Tensor.Rand([100, 784], init);                                            // a batch of 100 inputs
        var labels = Tensor.FromArray(Enumerable.Range(0, 100).Select(i => (long)(i % 10)).ToArray());

        mlp.ZeroGrads();
        mlp.Forward(x);          // Linear -> BatchNorm (first numBnLayers layers) -> activation, per layer
        mlp.Backward(labels);    // DW, DB averaged over the batch; DGamma, DBeta summed over it
        mlp.Step();              // momentum on the linear layers, plain steps for gamma and beta
        Console.WriteLine(mlp.LinearLayers[0].MomentumW);

        LabelledData Split(int n) => new(Tensor.Rand([n, 784], init), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % 10)).ToArray()));
        var stats = Training.GetTrainingStats(mlp, (Split(200), Split(100), null), epochs: 2, batchSize: 100);
        // stats.TrainingLosses, TrainingErrors, ValidationLosses, ValidationErrors: one value per epoch

        Assert.Equal(2, stats.ValidationErrors.Length);
        Assert.Equal([784, 64], mlp.LinearLayers[0].MomentumW.Shape);
    }
}
