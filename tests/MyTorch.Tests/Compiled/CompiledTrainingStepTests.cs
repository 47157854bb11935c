using MyTorch.Kernels;
using MyTorch.Compiled;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>
/// The compiled step must be the dynamic graph's step, bit for bit: same loss, same gradients, same parameters after
/// every step, for every layer, loss, reduction, optimizer and dtype it accepts, and for batches of changing size.
/// </summary>
public class CompiledTrainingStepTests
{
    private static Sequential Network(string activation, DType dtype, int inputs, int outputs, ulong seed)
    {
        var generator = new Generator(seed);
        Module Act() => PlannedActivations.Make(activation);
        return new Sequential(
            new Linear(inputs, 9, dtype: dtype, generator: generator), Act(),
            new Sequential(new Linear(9, 7, dtype: dtype, generator: generator), Act(), new Dropout(0)),
            new Linear(7, outputs, dtype: dtype, generator: generator, bias: activation != "tanh"));
    }

    private static Optimizer MakeOptimizer(string name, Module model) => name switch
    {
        "sgd" => new SGD(model.Parameters(), 0.05, momentum: 0.9),
        "nesterov" => new SGD(model.Parameters(), 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01),
        "plain" => new SGD(model.Parameters(), 0.1),
        "adam" => new Adam(model.Parameters(), 0.01),
        _ => new AdamW(model.Parameters(), 0.01, weightDecay: 0.1),
    };

    public static TheoryData<string, string, string, Reduction, DType> Configurations()
    {
        var data = new TheoryData<string, string, string, Reduction, DType>();
        foreach (var activation in new[] { "relu", "leaky", "leaky-negative", "sigmoid", "tanh", "identity" })
            data.Add(activation, "ce", "sgd", Reduction.Mean, DType.Float32);
        foreach (var optimizer in new[] { "nesterov", "plain", "adam", "adamw" })
            data.Add("relu", "ce", optimizer, Reduction.Mean, DType.Float32);
        data.Add("relu", "ce", "sgd", Reduction.Sum, DType.Float32);
        data.Add("tanh", "ce", "adam", Reduction.Mean, DType.Float64);
        data.Add("relu", "mse", "sgd", Reduction.Mean, DType.Float32);
        data.Add("sigmoid", "mse", "adam", Reduction.Sum, DType.Float32);
        data.Add("leaky", "mse", "nesterov", Reduction.Mean, DType.Float64);
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Steps_AreTheDynamicGraphsStepsBitForBit(string activation, string loss, string optimizer, Reduction reduction, DType dtype)
    {
        const int inputs = 11, outputs = 4;
        var graphModel = Network(activation, dtype, inputs, outputs, 7);
        var compiledModel = Network(activation, dtype, inputs, outputs, 7);
        Loss criterion = loss == "ce" ? new CrossEntropyLoss(reduction) : new MSELoss(reduction);
        var graphOptimizer = MakeOptimizer(optimizer, graphModel);
        var step = CompiledTrainingStep.Compile(compiledModel, criterion, MakeOptimizer(optimizer, compiledModel));

        var data = new Generator(3);
        foreach (int rows in new[] { 8, 8, 3, 8, 1, 8, 5 })
        {
            var x = Tensor.Normal([rows, inputs], 0, 2, data, dtype);
            var y = loss == "ce"
                ? Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(outputs)).ToArray())
                : Tensor.Normal([rows, outputs], 0, 1, data, dtype);

            graphOptimizer.ZeroGrad();
            var graphLoss = criterion.Forward(graphModel.Forward(x), y);
            double expected = graphLoss.Item();
            graphLoss.Backward();
            graphOptimizer.Step();

            double actual = step.Run(x, y);
            Assert.Equal(expected, actual);
            var graphParameters = graphModel.Parameters().ToArray();
            var compiledParameters = compiledModel.Parameters().ToArray();
            for (int i = 0; i < graphParameters.Length; i++)
            {
                Assert.Equal(graphParameters[i].ToArray<double>(), compiledParameters[i].ToArray<double>());
                Assert.Equal(graphParameters[i].Grad!.ToArray<double>(), compiledParameters[i].Grad!.ToArray<double>());
            }
        }
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        var model = Network("relu", DType.Float32, 20, 5, 1);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01, momentum: 0.9));
        var x = Tensor.Normal([16, 20], 0, 1, new Generator(2));
        var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)(i % 5)).ToArray());
        // Warm up on both of the kernels' ways of running: on the pool, and on this thread while another caller
        // holds the pool (which other tests may do at any moment); each thread's kernel scratch is made once.
        for (int i = 0; i < 50; i++) step.Run(x, y);
        using (WorkerPool.HoldBusy())
        {
            for (int i = 0; i < 5; i++) step.Run(x, y);
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 100; i++) step.Run(x, y); }));
        using (WorkerPool.HoldBusy())
        {
            Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 20; i++) step.Run(x, y); }));
        }
    }

    [Fact]
    public void NonFiniteLoss_IsReturnedWithoutChangingParameters()
    {
        var model = Network("relu", DType.Float32, 3, 2, 1);
        var step = CompiledTrainingStep.Compile(model, new MSELoss(), new SGD(model.Parameters(), 0.1));
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        double loss = step.Run(Tensor.FromArray(new float[] { float.NaN, 1, 2 }).Reshape(1, 3), Tensor.Zeros([1, 2]));
        Assert.True(double.IsNaN(loss));
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()).ToArray());
    }

    [Fact]
    public void OnlyALossWithoutReduction_IsRefusedUpFront()
    {
        var linear = new Sequential(new Linear(3, 2));
        Assert.Null(CompiledTrainingStep.TryCompile(linear, new CrossEntropyLoss(Reduction.None), new SGD(linear.Parameters(), 0.1), out var reason));
        Assert.Contains("Reduction.None", reason, StringComparison.Ordinal);
        var error = Assert.Throws<NotSupportedException>(() =>
            CompiledTrainingStep.Compile(linear, new MSELoss(Reduction.None), new SGD(linear.Parameters(), 0.1)));
        Assert.Contains("Reduction.None", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadBatches_NameTheLayerAndTheShapes_AndChangeNothing()
    {
        var model = Network("relu", DType.Float32, 3, 2, 1);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.1, momentum: 0.9));
        var wrongWidth = Assert.Throws<TensorShapeException>(() => step.Run(Tensor.Zeros([4, 5]), Tensor.FromArray(new long[] { 0, 1, 0, 1 })));
        Assert.Contains("Linear(3 -> 9)", wrongWidth.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", wrongWidth.Message, StringComparison.Ordinal);

        // Once the shape has been recorded, a bad batch of that shape fails before any state changes.
        step.Run(Tensor.Zeros([2, 3]), Tensor.FromArray(new long[] { 0, 1 }));
        step.Run(Tensor.Zeros([2, 3]), Tensor.FromArray(new long[] { 1, 1 }));
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var badClass = Assert.Throws<ArgumentOutOfRangeException>(() => step.Run(Tensor.Ones([2, 3]), Tensor.FromArray(new long[] { 0, 2 })));
        Assert.Contains("class index 2", badClass.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()).ToArray());
        var wrongCount = Assert.Throws<TensorShapeException>(() => step.Run(Tensor.Zeros([2, 3]), Tensor.FromArray(new long[] { 0 })));
        Assert.Contains("(2,)", wrongCount.Message, StringComparison.Ordinal);
        Assert.Null(step.NotPlannedReason);
    }

    [Fact]
    public void UnderAnomalyDetection_TheStepRunsThroughTheCheckedGraph()
    {
        var model = Network("relu", DType.Float32, 3, 2, 1);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.1));
        var x = Tensor.FromArray(new float[] { float.PositiveInfinity, 1, 2 }).Reshape(1, 3);
        var y = Tensor.FromArray(new long[] { 1 });
        using (Autograd.DetectAnomaly())
        {
            var error = Assert.Throws<AnomalyException>(() => step.Run(x, y));
            Assert.Equal("linear", error.Op);
        }

        var fine = Tensor.FromArray(new float[] { 0.5f, 1, 2 }).Reshape(1, 3);
        double planned = step.Run(fine, y);
        using (Autograd.DetectAnomaly())
        {
            var twin = Network("relu", DType.Float32, 3, 2, 1);
            var twinStep = CompiledTrainingStep.Compile(twin, new CrossEntropyLoss(), new SGD(twin.Parameters(), 0.1));
            Assert.Equal(planned, twinStep.Run(fine, y));
            Assert.Equal([1, 2], twinStep.Outputs!.Shape.ToArray());
        }
    }

    [Fact]
    public void ABatchWhoseActivationsOutgrowAnArray_IsAClearError()
    {
        var model = new Sequential(new Linear(1, 4096), new ReLU(), new Linear(4096, 2));
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.1));
        var error = Assert.Throws<TensorShapeException>(() => step.Run(Tensor.Zeros([600_000, 1]), Tensor.Zeros([600_000], DType.Int64)));
        Assert.Contains("linear", error.Message, StringComparison.Ordinal);
        Assert.Contains("(600000, 4096)", error.Message, StringComparison.Ordinal);
    }
}
