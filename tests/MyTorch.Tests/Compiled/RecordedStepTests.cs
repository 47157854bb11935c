using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>
/// The recorded step replays the graph's own launches, so any model built from the library's ops must train on it bit for
/// bit as on the graph: every layer (BatchNorm in training and evaluation, dropout through its generator, LayerNorm,
/// residual blocks, every activation), every loss and reduction, both dtypes, batches of changing size, and allocate
/// nothing in steady state.
/// </summary>
public class RecordedStepTests
{
    private const int Inputs = 6, Outputs = 4;

    private static Sequential Body(string layer, DType dtype, ulong seed)
    {
        var g = new Generator(seed);
        Module Hidden(int width) => layer switch
        {
            "batchnorm" => new BatchNorm1d(width, dtype: dtype),
            "dropout" => new Dropout(0.2, new Generator(seed + 1)),
            "dropout-half" => new Dropout(0.5, new Generator(seed + 2)),
            "layernorm" => new LayerNorm(width, dtype: dtype),
            "relu" => new ReLU(),
            "leaky" => new LeakyReLU(0.1),
            "sigmoid" => new MyTorch.NN.Sigmoid(),
            "tanh" => new Tanh(),
            "softplus" => new MyTorch.NN.Softplus(),
            "gelu" => new GELU(),
            "silu" => new SiLU(),
            "identity" => new Identity(),
            "bounded" => new Bounded(-1, 2),
            "negative-softplus" => new NegativeSoftplus(),
            _ => throw new ArgumentOutOfRangeException(nameof(layer), layer, null),
        };
        if (layer == "residual")
        {
            return new Sequential(new Linear(Inputs, 8, dtype: dtype, generator: g), new Tanh(),
                new Residual(new Sequential(new Linear(8, 8, dtype: dtype, generator: g), new ReLU())),
                new Linear(8, Outputs, dtype: dtype, generator: g));
        }
        return new Sequential(
            new Linear(Inputs, 8, dtype: dtype, generator: g), Hidden(8), new ReLU(),
            new Linear(8, 7, dtype: dtype, generator: g), Hidden(7), new Tanh(),
            new Linear(7, Outputs, dtype: dtype, generator: g));
    }

    private static Loss MakeLoss(string name) => name switch
    {
        "ce" => new CrossEntropyLoss(),
        "ce-sum" => new CrossEntropyLoss(Reduction.Sum),
        "ce-probabilities" => new CrossEntropyLoss(),
        "nll" => new LogSoftmaxNll(),
        "mse" => new MSELoss(),
        "sse" => new SumSquaredError(),
        "bce" => new SigmoidBce(),
        "bce-logits" => new BCEWithLogitsLoss(),
        "softmax-ce" => new MyTorch.Seed.SoftmaxCrossEntropy(Reduction.Sum),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static Tensor Targets(string loss, int rows, DType dtype, Generator data) => loss switch
    {
        "ce" or "ce-sum" or "nll" or "softmax-ce" => Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(Outputs)).ToArray()),
        "ce-probabilities" => Tensor.Normal([rows, Outputs], 0, 1, data, dtype).Softmax(1),
        "bce" or "bce-logits" => Tensor.Rand([rows, Outputs], data, dtype).Gt(0.5),
        _ => Tensor.Normal([rows, Outputs], 0, 1, data, dtype),
    };

    public static TheoryData<string, string, DType, bool> Configurations()
    {
        var data = new TheoryData<string, string, DType, bool>();
        foreach (var layer in new[] { "batchnorm", "dropout", "dropout-half", "layernorm", "residual", "relu", "leaky", "sigmoid", "tanh",
                     "softplus", "gelu", "silu", "identity", "bounded", "negative-softplus" })
            data.Add(layer, "ce", DType.Float32, true);
        foreach (var loss in new[] { "ce-sum", "ce-probabilities", "nll", "mse", "sse", "bce", "bce-logits", "softmax-ce" })
            data.Add("batchnorm", loss, DType.Float32, true);
        data.Add("batchnorm", "ce", DType.Float64, true);
        data.Add("dropout", "mse", DType.Float64, true);
        data.Add("layernorm", "bce-logits", DType.Float64, true);
        data.Add("batchnorm", "ce", DType.Float32, false); // a model in evaluation mode: BatchNorm on its running statistics
        data.Add("dropout", "ce", DType.Float32, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Steps_AreTheGraphsStepsBitForBit(string layer, string loss, DType dtype, bool training)
    {
        var graphModel = Body(layer, dtype, 11);
        var plannedModel = Body(layer, dtype, 11);
        graphModel.Train(training);
        plannedModel.Train(training);
        var criterion = MakeLoss(loss);
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.05, momentum: 0.9);
        var step = CompiledTrainingStep.Compile(plannedModel, criterion, new SGD(plannedModel.Parameters(), 0.05, momentum: 0.9));

        var data = new Generator(5);
        foreach (int rows in new[] { 8, 8, 3, 8, 5, 8, 8, 3 })
        {
            var x = Tensor.Normal([rows, Inputs], 0, 2, data, dtype);
            var y = Targets(loss, rows, dtype, data);

            graphOptimizer.ZeroGrad();
            var graphOutputs = graphModel.Forward(x);
            var graphLoss = criterion.Forward(graphOutputs, y);
            double expected = graphLoss.Item();
            graphLoss.Backward();
            graphOptimizer.Step();

            double actual = step.Run(x, y);
            Assert.Null(step.NotPlannedReason);
            Assert.Equal(expected, actual);
            Assert.Equal(graphOutputs.ToArray<double>(), step.Outputs!.ToArray<double>());
            AssertSameState(graphModel, plannedModel);
        }
    }

    private static void AssertSameState(Module graph, Module planned)
    {
        var expected = graph.StateDict();
        var actual = planned.StateDict();
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.ToArray<double>().SequenceEqual(actual[name].ToArray<double>()), $"{name} differs");
        var graphParameters = graph.Parameters().ToArray();
        var plannedParameters = planned.Parameters().ToArray();
        for (int i = 0; i < graphParameters.Length; i++)
            Assert.Equal(graphParameters[i].Grad!.ToArray<double>(), plannedParameters[i].Grad!.ToArray<double>());
    }

    [Theory]
    [InlineData("batchnorm")]
    [InlineData("dropout")]
    [InlineData("layernorm")]
    [InlineData("residual")]
    [InlineData("silu")]
    public void SteadyState_AllocatesNothing(string layer)
    {
        var model = Body(layer, DType.Float32, 3);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01, momentum: 0.9));
        // New batch tensors of one shape each step, as a loader that makes them gives: replayed, never recorded again.
        var data = new Generator(2);
        var batches = Enumerable.Range(0, 4).Select(b => (X: Tensor.Normal([16, Inputs], 0, 1, data),
            Y: Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)((i + b) % Outputs)).ToArray()))).ToArray();
        for (int i = 0; i < 30; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        using (WorkerPool.HoldBusy())
        {
            for (int i = 0; i < 3; i++) step.Run(batches[i % 4].X, batches[i % 4].Y);
        }
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 50; i++) step.Run(batches[i % 4].X, batches[i % 4].Y); }));
        Assert.Null(step.NotPlannedReason);
    }

    [Fact]
    public void ALayerThatComputesOnTheHost_RunsOnTheGraph_AndSaysWhy()
    {
        var graphModel = new Sequential(new Linear(3, 4, generator: new Generator(1)), new HostScale(), new Linear(4, 2, generator: new Generator(2)));
        var plannedModel = new Sequential(new Linear(3, 4, generator: new Generator(1)), new HostScale(), new Linear(4, 2, generator: new Generator(2)));
        var step = CompiledTrainingStep.Compile(plannedModel, new CrossEntropyLoss(), new SGD(plannedModel.Parameters(), 0.1));
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.1);
        var data = new Generator(4);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Normal([5, 3], 0, 1, data);
            var y = Tensor.FromArray(new long[] { 0, 1, 1, 0, 1 });
            graphOptimizer.ZeroGrad();
            var loss = new CrossEntropyLoss().Forward(graphModel.Forward(x), y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();
            Assert.Equal(expected, step.Run(x, y));
        }
        Assert.Contains("HostScale.Forward", step.NotPlannedReason, StringComparison.Ordinal);
        AssertSameState(graphModel, plannedModel);
    }

    [Fact]
    public void ReplacingAParametersStorage_RecordsTheStepAgain()
    {
        var graphModel = Body("batchnorm", DType.Float32, 9);
        var plannedModel = Body("batchnorm", DType.Float32, 9);
        var step = CompiledTrainingStep.Compile(plannedModel, new CrossEntropyLoss(), new SGD(plannedModel.Parameters(), 0.1));
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.1);
        var data = new Generator(8);
        var replacement = Body("batchnorm", DType.Float32, 10).StateDict();
        for (int i = 0; i < 4; i++)
        {
            if (i == 2)
            {
                graphModel.LoadStateDict(replacement);
                plannedModel.LoadStateDict(replacement);
            }
            var x = Tensor.Normal([6, Inputs], 0, 1, data);
            var y = Tensor.FromArray(new long[] { 0, 1, 2, 3, 0, 1 });
            graphOptimizer.ZeroGrad();
            var loss = new CrossEntropyLoss().Forward(graphModel.Forward(x), y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();
            Assert.Equal(expected, step.Run(x, y));
        }
        AssertSameState(graphModel, plannedModel);
    }

    /// <summary>Scales by a factor read on the host from the batch itself: a value replay cannot repeat.</summary>
    private sealed class HostScale : Module
    {
        public override Tensor Forward(Tensor input) => input * (1 + Math.Abs(input.At(0, 0)));
    }

    private sealed class LogSoftmaxNll : Loss
    {
        public LogSoftmaxNll() : base(Reduction.Mean) { }

        public override Tensor PerElement(Tensor input, Tensor target) => new NLLLoss(Reduction.None).Forward(input.LogSoftmax(1), target);
    }

    private sealed class SigmoidBce : Loss
    {
        public SigmoidBce() : base(Reduction.Mean) { }

        public override Tensor PerElement(Tensor input, Tensor target) => new BCELoss(Reduction.None).Forward(input.Sigmoid(), target);
    }
}
