using MyTorch;
using MyTorch.Losses;
using MyTorch.Optim;
using MyTorch.Seed;
using Xunit;
using BatchNorm1d = MyTorch.NN.BatchNorm1d;
using Module = MyTorch.NN.Module;
using Sequential = MyTorch.NN.Sequential;

namespace MyTorch.Tests.Seeds;

public class MLPTests
{
    private const int BatchSize = 20;

    private static Func<int, int, Tensor> WeightInit(ulong seed)
    {
        var generator = new Generator(seed);
        return (i, o) => Tensor.Normal([i, o], 0, 1 / Math.Sqrt(i), generator, DType.Float64);
    }

    private static Tensor BiasInit(int o) => Tensor.Zeros([o], DType.Float64);

    private static (Tensor X, Tensor Y) Batch(ulong seed)
    {
        var generator = new Generator(seed);
        var x = Tensor.Normal([BatchSize, 30], 0, 1, generator, DType.Float64);
        var labels = Enumerable.Range(0, BatchSize).Select(_ => generator.NextInt64(10)).ToArray();
        var y = Tensor.Zeros([BatchSize, 10], DType.Float64);
        for (int i = 0; i < BatchSize; i++) y.SetDouble(i * 10 + (int)labels[i], 1);
        return (x, y);
    }

    [Fact]
    public void OrderIsLinearThenBatchNormThenActivation()
    {
        var mlp = new MLP(30, 10, [16, 8], [new Sigmoid(), new ReLU(), new Identity()], WeightInit(1), BiasInit,
            new SoftmaxCrossEntropy(), lr: 0.1, momentum: 0.5, numBnLayers: 1);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6"], mlp.NamedChildren().Select(c => c.Name));
        Assert.IsType<MyTorch.NN.Linear>(mlp.NamedChildren().ElementAt(0).Module);
        Assert.IsType<BatchNorm1d>(mlp.NamedChildren().ElementAt(1).Module);
        Assert.IsType<MyTorch.NN.Sigmoid>(mlp.NamedChildren().ElementAt(2).Module);
        Assert.IsType<MyTorch.NN.Linear>(mlp.NamedChildren().ElementAt(3).Module);
        Assert.IsType<MyTorch.NN.ReLU>(mlp.NamedChildren().ElementAt(4).Module);
        Assert.Equal(3, mlp.LinearLayers.Count);
        Assert.Single(mlp.BnLayers);
        Assert.Equal([30, 16], mlp.LinearLayers[0].W.Shape.ToArray());
        Assert.Equal([1, 16], mlp.LinearLayers[0].B.Shape.ToArray());
    }

    [Theory]
    [InlineData(0, 10, "inputSize")]
    [InlineData(30, 0, "outputSize")]
    public void InvalidSizesNameTheArgument(int input, int output, string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new MLP(input, output, [], [new Identity()], null, null, new SoftmaxCrossEntropy(), 0.1));
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void InvalidConstructionNamesTheArgument()
    {
        var ce = new SoftmaxCrossEntropy();
        Assert.Equal("activations", Assert.Throws<ArgumentException>(() => new MLP(3, 2, [4], [new Identity()], null, null, ce, 0.1)).ParamName);
        Assert.Equal("numBnLayers", Assert.Throws<ArgumentException>(() => new MLP(3, 2, [4], [new ReLU(), new Identity()], null, null, ce, 0.1, numBnLayers: 2)).ParamName);
        Assert.Equal("hiddens", Assert.Throws<ArgumentException>(() => new MLP(3, 2, [0], [new ReLU(), new Identity()], null, null, ce, 0.1)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentException>(() => new MLP(3, 2, [], [new Identity()], null, null, ce, -1)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentException>(() => new MLP(3, 2, [], [new Identity()], null, null, ce, 0.1, momentum: 1)).ParamName);
    }

    [Fact]
    public void GradientsAreBatchAveragedForLinearLayersAndSummedForBatchNorm()
    {
        var mlp = new MLP(30, 10, [16], [new Tanh(), new Identity()], WeightInit(2), BiasInit, new SoftmaxCrossEntropy(), 0.1, numBnLayers: 1);
        var (x, y) = Batch(3);
        var logits = mlp.Forward(x);
        mlp.Backward(y);
        // dLoss/dlogits is softmax(x) - y, not divided by the batch: so db of the output layer is its batch mean.
        var delta = (logits.Detach().Softmax(1) - y).ToArray<double>();
        for (int c = 0; c < 10; c++)
        {
            double mean = Enumerable.Range(0, BatchSize).Average(i => delta[i * 10 + c]);
            Assert.Equal(mean, mlp.LinearLayers[1].DB.At(0, c), 12);
        }
        // And BatchNorm's dbeta is a sum over the batch of its delta, equal to batch * the mean-loss gradient.
        var reference = new MLP(30, 10, [16], [new Tanh(), new Identity()], WeightInit(2), BiasInit, new SoftmaxCrossEntropy(), 0.1, numBnLayers: 1);
        var meanLoss = new CrossEntropyLoss().Forward(reference.Forward(x), y);
        var dBetaOfMean = Autograd.Grad(meanLoss, reference.BnLayers[0].Beta)!.ToArray<double>();
        var dBeta = mlp.BnLayers[0].DBeta.ToArray<double>();
        for (int i = 0; i < dBeta.Length; i++) Assert.Equal(dBetaOfMean[i] * BatchSize, dBeta[i], 12);
    }

    [Fact]
    public void MomentumBuffersFollowTheSeedsRule()
    {
        var mlp = new MLP(30, 10, [], [new Identity()], WeightInit(4), BiasInit, new SoftmaxCrossEntropy(), lr: 0.05, momentum: 0.8);
        Assert.All(mlp.LinearLayers[0].MomentumW.ToArray<double>(), v => Assert.Equal(0, v));
        var previous = mlp.LinearLayers[0].MomentumW.ToArray<double>();
        for (int step = 0; step < 3; step++)
        {
            var (x, y) = Batch(10 + (ulong)step);
            var w = mlp.LinearLayers[0].W.ToArray<double>();
            mlp.ZeroGrads();
            mlp.Forward(x);
            mlp.Backward(y);
            var grad = mlp.LinearLayers[0].DW.ToArray<double>();
            mlp.Step();
            var velocity = mlp.LinearLayers[0].MomentumW.ToArray<double>();
            var after = mlp.LinearLayers[0].W.ToArray<double>();
            for (int i = 0; i < w.Length; i++)
            {
                Assert.Equal(0.8 * previous[i] - 0.05 * grad[i], velocity[i], 14);
                Assert.Equal(w[i] + velocity[i], after[i], 14);
            }
            previous = velocity;
        }
    }

    /// <summary>
    /// The MLP is built on the module system: the same network made from Sequential, Linear, BatchNorm1d and
    /// activations, trained with a mean cross-entropy loss and SGD, reaches the same weights. The seed sums
    /// BatchNorm's gradients over the batch (instead of averaging), so there its parameters take batch * lr.
    /// </summary>
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(0, 0.856)]
    [InlineData(1, 0.9)]
    public void MatchesTheSameNetworkBuiltFromModulesAndSGD(int numBnLayers, double momentum)
    {
        const double lr = 0.05;
        var mlp = new MLP(30, 10, [16, 12], [new Sigmoid(), new Tanh(), new Identity()], WeightInit(7), BiasInit,
            new SoftmaxCrossEntropy(), lr, momentum, numBnLayers);

        var init = WeightInit(7);
        var modules = new List<Module>();
        int[] sizes = [30, 16, 12, 10];
        Module[] activations = [new MyTorch.NN.Sigmoid(), new MyTorch.NN.Tanh(), new MyTorch.NN.Identity()];
        for (int i = 0; i < 3; i++)
        {
            modules.Add(new MyTorch.NN.Linear(sizes[i], sizes[i + 1], weightInit: init, biasInit: BiasInit));
            if (i < numBnLayers) modules.Add(new BatchNorm1d(sizes[i + 1], dtype: DType.Float64));
            modules.Add(activations[i]);
        }
        var net = new Sequential([.. modules]);
        var linearParameters = modules.OfType<MyTorch.NN.Linear>().SelectMany(l => l.Parameters());
        var normParameters = modules.OfType<BatchNorm1d>().SelectMany(n => n.Parameters()).ToArray();
        List<ParameterGroup> groups = [new ParameterGroup(linearParameters)];
        if (normParameters.Length > 0)
            groups.Add(new ParameterGroup(normParameters, lr * BatchSize, new Dictionary<string, double> { ["momentum"] = 0 }));
        var sgd = new SGD(groups, lr, momentum);
        var loss = new CrossEntropyLoss();

        for (int step = 0; step < 5; step++)
        {
            var (x, y) = Batch(100 + (ulong)step);
            mlp.ZeroGrads();
            mlp.Forward(x);
            mlp.Backward(y);
            mlp.Step();

            sgd.ZeroGrad();
            loss.Forward(net.Forward(x), y).Backward();
            sgd.Step();
        }

        var expected = net.StateDict();
        var actual = mlp.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, value) in expected)
        {
            var a = actual[key].ToArray<double>();
            var e = value.ToArray<double>();
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(a[i] - e[i]) <= 1e-12 * Math.Max(1, Math.Abs(e[i])), $"{key}[{i}]: {a[i]} vs {e[i]}");
        }
    }

    [Fact]
    public void TotalLossAndErrorDescribeTheLastForwardPass()
    {
        var mlp = new MLP(30, 10, [8], [new ReLU(), new Identity()], WeightInit(5), BiasInit, new SoftmaxCrossEntropy(), 0.1);
        var (x, y) = Batch(6);
        var logits = mlp.Forward(x);
        double expectedLoss = new SoftmaxCrossEntropy(Reduction.Sum).Forward(logits, y).Item();
        Assert.Equal(expectedLoss, mlp.TotalLoss(y), 12);
        int wrong = BatchSize - (int)logits.ArgMax(1).Eq(y.ArgMax(1)).Sum().Item();
        Assert.Equal(wrong, mlp.Error(y));
        Assert.Equal(wrong, mlp.Error(y.ArgMax(1)));
    }

    [Fact]
    public void TrainingStatsFallOnALearnableProblem()
    {
        var generator = new Generator(11);
        // Ten well-separated clusters in 30 dimensions.
        var centers = Tensor.Normal([10, 30], 0, 3, generator, DType.Float64);
        LabelledData Make(int n)
        {
            var labels = Enumerable.Range(0, n).Select(i => (long)(i % 10)).ToArray();
            var x = centers.IndexSelect(0, Tensor.FromArray(labels)) + Tensor.Normal([n, 30], 0, 1, generator, DType.Float64);
            return new LabelledData(x, Tensor.FromArray(labels));
        }
        var mlp = new MLP(30, 10, [32], [new Sigmoid(), new Identity()], WeightInit(12), BiasInit, new SoftmaxCrossEntropy(), 0.05, momentum: 0.9);
        var stats = Training.GetTrainingStats(mlp, (Make(500), Make(200), null), epochs: 5, batchSize: 50, new Generator(13));
        Assert.Equal(5, stats.TrainingLosses.Length);
        Assert.True(stats.TrainingLosses[^1] < stats.TrainingLosses[0]);
        Assert.True(stats.ValidationLosses[^1] < stats.ValidationLosses[0]);
        Assert.True(stats.ValidationErrors[^1] < 0.05, $"validation error {stats.ValidationErrors[^1]}");
        Assert.True(mlp.IsTraining);

        // The same seeds give the same statistics.
        var again = new MLP(30, 10, [32], [new Sigmoid(), new Identity()], WeightInit(12), BiasInit, new SoftmaxCrossEntropy(), 0.05, momentum: 0.9);
        generator = new Generator(11);
        centers = Tensor.Normal([10, 30], 0, 3, generator, DType.Float64);
        var repeat = Training.GetTrainingStats(again, (Make(500), Make(200), null), epochs: 5, batchSize: 50, new Generator(13));
        Assert.Equal(stats.TrainingLosses, repeat.TrainingLosses);
        Assert.Equal(stats.ValidationErrors, repeat.ValidationErrors);
    }
}
