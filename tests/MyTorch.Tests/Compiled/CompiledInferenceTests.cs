using MyTorch.Kernels;
using MyTorch.Compiled;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>
/// The compiled forward pass must be the model's evaluation-mode forward bit for bit, for every layer and dtype it
/// accepts and for batches of changing size, and must allocate nothing once its buffers have grown.
/// </summary>
public class CompiledInferenceTests
{
    private static Sequential Network(string activation, DType dtype, int inputs, int outputs, ulong seed, bool lastIsActivation = false)
    {
        var generator = new Generator(seed);
        Module Act() => PlannedActivations.Make(activation);
        var model = new Sequential(
            new Linear(inputs, 9, dtype: dtype, generator: generator), Act(), new Dropout(0.5),
            new Sequential(new Linear(9, 7, dtype: dtype, generator: generator), Act()),
            new Linear(7, outputs, dtype: dtype, generator: generator, bias: activation != "tanh"));
        if (lastIsActivation) model.Add(Act());
        return model;
    }

    private static Tensor EvalForward(Module model, Tensor x)
    {
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            return model.Forward(x);
        }
        finally
        {
            model.Train();
        }
    }

    public static TheoryData<string, DType, bool> Configurations()
    {
        var data = new TheoryData<string, DType, bool>();
        foreach (var activation in new[] { "relu", "leaky", "leaky-negative", "sigmoid", "tanh", "identity" })
            data.Add(activation, DType.Float32, false);
        data.Add("relu", DType.Float64, false);
        data.Add("tanh", DType.Float64, true);
        data.Add("sigmoid", DType.Float32, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Outputs_AreTheEvaluationForwardBitForBit(string activation, DType dtype, bool lastIsActivation)
    {
        const int inputs = 11, outputs = 4;
        var model = Network(activation, dtype, inputs, outputs, 7, lastIsActivation);
        var inference = CompiledInference.Compile(model);
        Assert.Equal(dtype, inference.DType);

        var data = new Generator(3);
        foreach (int rows in new[] { 8, 8, 3, 8, 1, 300, 5, 0 })
        {
            var x = Tensor.Normal([rows, inputs], 0, 2, data, dtype);
            var expected = EvalForward(model, x);
            var actual = inference.Run(x);
            Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
            Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>());

            var into = Tensor.Full([rows, outputs], 42.0, dtype);
            inference.Run(x, into);
            Assert.Equal(expected.ToArray<double>(), into.ToArray<double>());
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BatchNorm_UsesTheRunningStatisticsBitForBit(DType dtype)
    {
        var generator = new Generator(11);
        var model = new Sequential(
            new Linear(6, 8, dtype: dtype, generator: generator), new BatchNorm1d(8, dtype: dtype), new ReLU(),
            new Linear(8, 5, dtype: dtype, generator: generator), new BatchNorm1d(5, eps: 1e-3, dtype: dtype),
            new Linear(5, 3, dtype: dtype, generator: generator));
        // Training-mode forwards move the running statistics away from 0 and 1, and the scale and shift are set.
        for (int i = 0; i < 4; i++) model.Forward(Tensor.Normal([16, 6], 1, 3, generator, dtype));
        using (Autograd.NoGrad())
        {
            foreach (var parameter in model.Parameters()) parameter.AddInPlace(Tensor.Normal(parameter.Shape.ToArray(), 0, 0.5, generator, dtype));
        }
        var inference = CompiledInference.Compile(model);
        foreach (int rows in new[] { 5, 1, 200 })
        {
            var x = Tensor.Normal([rows, 6], 1, 3, generator, dtype);
            Assert.Equal(EvalForward(model, x).ToArray<double>(), inference.Run(x).ToArray<double>());
        }
        Assert.True(model.IsTraining); // the plan computes evaluation mode without switching the model
    }

    [Fact]
    public void Runs_FollowTheParametersAsTheyTrain()
    {
        var model = Network("relu", DType.Float32, 5, 3, 1);
        var inference = CompiledInference.Compile(model);
        var x = Tensor.Normal([4, 5], 0, 1, new Generator(2));
        var before = inference.Run(x).ToArray<float>();
        using (Autograd.NoGrad())
        {
            foreach (var parameter in model.Parameters()) parameter.MultiplyInPlace(0.5);
        }
        var after = inference.Run(x).ToArray<float>();
        Assert.NotEqual(before, after);
        Assert.Equal(EvalForward(model, x).ToArray<float>(), after);
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        var model = Network("relu", DType.Float32, 20, 10, 5);
        var inference = CompiledInference.Compile(model);
        var full = Tensor.Normal([64, 20], 0, 1, new Generator(4));
        var last = Tensor.Normal([17, 20], 0, 1, new Generator(6));
        var into = Tensor.Zeros([64, 10]);
        void Runs(int count)
        {
            for (int i = 0; i < count; i++)
            {
                inference.Run(full);
                inference.Run(last);
                inference.Run(full, into);
            }
        }

        // Warm up on both of the kernels' ways of running: on the pool, and on this thread while another caller
        // holds the pool (which other tests may do at any moment); each thread's kernel scratch is made once.
        Runs(3);
        using (WorkerPool.HoldBusy()) Runs(3);

        Assert.Equal(0, SteadyState.AllocatedBytes(() => { Runs(20); }));
        using (WorkerPool.HoldBusy())
        {
            Assert.Equal(0, SteadyState.AllocatedBytes(() => { Runs(20); }));
        }
    }

    [Fact]
    public void SteadyState_AllocatesNothing_WithABatchNormWiderThanTheStackRow()
    {
        // 3000 features: the std row no longer fits the 2048-element stack buffer and comes from a per-thread scratch.
        var model = new Sequential(new Linear(8, 3000, generator: new Generator(2)), new BatchNorm1d(3000), new ReLU(),
            new Linear(3000, 4, generator: new Generator(3)));
        var inference = CompiledInference.Compile(model);
        var x = Tensor.Normal([32, 8], 0, 1, new Generator(5));
        Assert.Equal(EvalForward(model, x).ToArray<float>(), inference.Run(x).ToArray<float>());
        inference.Run(x);
        using (WorkerPool.HoldBusy()) inference.Run(x);

        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 5; i++) inference.Run(x); }));
        Assert.Equal(EvalForward(model, x).ToArray<float>(), inference.Run(x).ToArray<float>());
    }

    /// <summary>Layers big enough for the GEMM's packed path, with several k blocks and two column blocks (on the Vector512 path).</summary>
    internal static Sequential FreezableNetwork(DType dtype, ulong seed)
    {
        var generator = new Generator(seed);
        return new Sequential(
            new Linear(900, 530, dtype: dtype, generator: generator), new ReLU(),
            new Linear(530, 70, dtype: dtype, generator: generator), new Tanh(),
            new Linear(70, 3, dtype: dtype, generator: generator));
    }

    private static IEnumerable<Linear> Linears(Module model) => model.NamedModules().Select(named => named.Module).OfType<Linear>();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FrozenWeights_GiveTheEvaluationForwardBitForBit(DType dtype)
    {
        var model = FreezableNetwork(dtype, 21);
        var inference = CompiledInference.Compile(model);
        Assert.False(inference.WeightsFrozen);
        Assert.Same(inference, inference.FreezeWeights());
        Assert.True(inference.WeightsFrozen);
        var data = new Generator(4);
        foreach (int rows in new[] { 40, 1, 5, 300, 40 })
        {
            var x = Tensor.Normal([rows, 900], 0, 1, data, dtype);
            Assert.Equal(EvalForward(model, x).ToArray<double>(), inference.Run(x).ToArray<double>());
        }
    }

    /// <summary>
    /// Batches of 1 (the single-row sweep; 900 x 530 split over the threads), 2 (tiny products: 2 x 70 x 3 takes the
    /// direct loop), 12 (one micro-tile of rows, so two threads split the columns) and 40 (row blocks over the threads).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(12)]
    [InlineData(40)]
    public void FrozenWeights_AreACopy_UntilFrozenAgain(int rows)
    {
        var model = FreezableNetwork(DType.Float32, 22);
        var inference = CompiledInference.Compile(model).FreezeWeights();
        var x = Tensor.Normal([rows, 900], 0, 1, new Generator(5));
        var before = inference.Run(x).ToArray<float>();
        using (Autograd.NoGrad())
        {
            foreach (var linear in Linears(model)) linear.W.MultiplyInPlace(0.5);
        }
        var changed = EvalForward(model, x).ToArray<float>();
        Assert.NotEqual(before, changed);
        // Every layer of this batch multiplies from the copy, made before the weights changed.
        Assert.Equal(before, inference.Run(x).ToArray<float>());
        Assert.Equal(changed, inference.FreezeWeights().Run(x).ToArray<float>());

        using (Autograd.NoGrad())
        {
            foreach (var linear in Linears(model)) linear.W.MultiplyInPlace(2);
        }
        Assert.Same(inference, inference.UnfreezeWeights());
        Assert.False(inference.WeightsFrozen);
        Assert.Equal(before, inference.Run(x).ToArray<float>()); // the weights themselves again
    }

    [Fact]
    public void FrozenWeights_WhoseStorageIsReplaced_ArePackedAgain()
    {
        var model = FreezableNetwork(DType.Float32, 23);
        var inference = CompiledInference.Compile(model).FreezeWeights();
        var x = Tensor.Normal([40, 900], 0, 1, new Generator(6));
        inference.Run(x);
        var first = Linears(model).First();
        first.W.SetData(Tensor.Normal([900, 530], 0, 0.05, new Generator(7)));
        Assert.Equal(EvalForward(model, x).ToArray<float>(), inference.Run(x).ToArray<float>());
    }

    [Fact]
    public void SteadyState_AllocatesNothing_WithFrozenWeights()
    {
        var model = FreezableNetwork(DType.Float32, 24);
        var inference = CompiledInference.Compile(model).FreezeWeights();
        var full = Tensor.Normal([64, 900], 0, 1, new Generator(8));
        var last = Tensor.Normal([17, 900], 0, 1, new Generator(9));
        void Runs(int count)
        {
            for (int i = 0; i < count; i++)
            {
                inference.Run(full);
                inference.Run(last);
            }
        }

        Runs(2);
        using (WorkerPool.HoldBusy()) Runs(2);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { Runs(5); }));
        Assert.Equal(EvalForward(model, full).ToArray<float>(), inference.Run(full).ToArray<float>());
    }

    [Fact]
    public void LayersWhoseWidthsDoNotFollow_FailAtTheFirstRun_NamingTheLayer()
    {
        var badNorm = CompiledInference.Compile(new Sequential(new Linear(3, 4), new BatchNorm1d(5)));
        Assert.Contains("BatchNorm1d(5)", Assert.Throws<TensorShapeException>(() => badNorm.Run(Tensor.Zeros([2, 3]))).Message, StringComparison.Ordinal);
        var badLinear = CompiledInference.Compile(new Sequential(new Linear(3, 4), new Linear(5, 2)));
        Assert.Contains("Linear(5 -> 2)", Assert.Throws<TensorShapeException>(() => badLinear.Run(Tensor.Zeros([2, 3]))).Message, StringComparison.Ordinal);
        Assert.NotNull(CompiledInference.TryCompile(new Sequential(new Linear(3, 4)), out var reason));
        Assert.Null(reason);
    }

    public static TheoryData<string> OtherModels() => ["layernorm", "relu-first", "residual", "silu", "dropout-training-flag"];

    private static Sequential OtherModel(string name)
    {
        var g = new Generator(40);
        return name switch
        {
            "layernorm" => new Sequential(new Linear(3, 4, generator: g), new LayerNorm(4), new ReLU(), new Linear(4, 2, generator: g)),
            "relu-first" => new Sequential(new ReLU(), new Linear(3, 2, generator: g)),
            "residual" => new Sequential(new Linear(3, 4, generator: g), new Residual(new Sequential(new Linear(4, 4, generator: g), new Tanh())),
                new Linear(4, 2, generator: g)),
            "silu" => new Sequential(new Linear(3, 4, generator: g), new SiLU(), new Linear(4, 2, generator: g)),
            _ => new Sequential(new Linear(3, 4, generator: g), new BatchNorm1d(4), new GELU(), new Dropout(0.5), new Linear(4, 2, generator: g)),
        };
    }

    [Theory]
    [MemberData(nameof(OtherModels))]
    public void AnyOtherModel_IsRecordedAndReplayed_BitForBit_WithoutAllocating(string name)
    {
        var model = OtherModel(name);
        if (name == "dropout-training-flag")
        {
            // Train a step first so the BatchNorm has running statistics; the plan evaluates whatever the model's flag is.
            using (Autograd.NoGrad()) model.Forward(Tensor.Normal([6, 3], 0, 1, new Generator(1)));
        }
        var inference = CompiledInference.Compile(model);
        var data = new Generator(7);
        var batches = Enumerable.Range(0, 4).Select(_ => Tensor.Normal([5, 3], 0, 1, data)).ToArray();
        foreach (var x in batches.Concat([Tensor.Normal([2, 3], 0, 1, data)]).Concat(batches))
        {
            Assert.Equal(EvalForward(model, x).ToArray<float>(), inference.Run(x).ToArray<float>());
            Assert.True(model.IsTraining); // the model's flag is put back
        }
        Assert.Null(inference.NotPlannedReason);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 20; i++) inference.Run(batches[i % 4]); }));
        var outputs = Tensor.Zeros([5, 2]);
        inference.Run(batches[1], outputs);
        Assert.Equal(EvalForward(model, batches[1]).ToArray<float>(), outputs.ToArray<float>());
    }

    [Fact]
    public void ABatchWhoseActivationsOutgrowAnArray_IsAClearError()
    {
        var inference = CompiledInference.Compile(new Sequential(new Linear(1, 4096), new ReLU(), new Linear(4096, 1)));
        var error = Assert.Throws<TensorShapeException>(() => inference.Run(Tensor.Zeros([600_000, 1])));
        Assert.Contains("(600000, 4096)", error.Message, StringComparison.Ordinal);
        Assert.Contains("smaller batches", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInputs_NameTheExpectedShape()
    {
        var inference = CompiledInference.Compile(new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2)));
        var wrongWidth = Assert.Throws<TensorShapeException>(() => inference.Run(Tensor.Zeros([4, 5])));
        Assert.Contains("Linear(3 -> 4)", wrongWidth.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", wrongWidth.Message, StringComparison.Ordinal);
        var wrongType = Assert.Throws<TensorShapeException>(() => inference.Run(Tensor.Zeros([4, 3], DType.Float64)));
        Assert.Contains("float64", wrongType.Message, StringComparison.Ordinal);
        // Whatever the model's forward takes, the plan takes: a single row without its batch dimension, as Linear does.
        Assert.Equal([2], inference.Run(Tensor.Zeros([3])).Shape.ToArray());

        var wrongOutputs = Assert.Throws<TensorShapeException>(() => inference.Run(Tensor.Zeros([4, 3]), Tensor.Zeros([4, 3])));
        Assert.Contains("(4, 2)", wrongOutputs.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", wrongOutputs.Message, StringComparison.Ordinal);
        var same = Tensor.Zeros([2, 2]);
        var twoByTwo = CompiledInference.Compile(new Sequential(new Linear(2, 2)));
        Assert.Throws<ArgumentException>(() => twoByTwo.Run(same, same));
    }
}

/// <summary>A large batch split into row blocks over the kernel threads gives the bits of one thread and of the module.</summary>
[Collection(MyTorch.Tests.Kernels.KernelPathSerial.Name)] // changes KernelOptions.MaxThreads
public class CompiledInferenceThreadTests
{
    [Fact]
    public void RowBlocksOverThreads_AreBitIdentical()
    {
        int previous = MyTorch.Kernels.KernelOptions.MaxThreads;
        try
        {
            var generator = new Generator(8);
            var model = new Sequential(
                new Linear(64, 300, generator: generator), new ReLU(),
                new Linear(300, 130, generator: generator), new Tanh(), new Linear(130, 10, generator: generator));
            var inference = CompiledInference.Compile(model);
            foreach (int rows in new[] { 301, 97, 48, 7 })
            {
                var x = Tensor.Normal([rows, 64], 0, 1, generator);
                float[] Run(int threads)
                {
                    MyTorch.Kernels.KernelOptions.MaxThreads = threads;
                    return inference.Run(x).ToArray<float>();
                }
                var one = Run(1);
                Assert.Equal(one, Run(2));
                Assert.Equal(one, Run(3));
                inference.FreezeWeights();
                Assert.Equal(one, Run(1));
                Assert.Equal(one, Run(2));
                inference.UnfreezeWeights();
                model.Eval();
                using (Autograd.NoGrad()) Assert.Equal(one, model.Forward(x).ToArray<float>());
                model.Train();
            }
        }
        finally
        {
            MyTorch.Kernels.KernelOptions.MaxThreads = previous;
        }
    }
}

/// <summary>Frozen weights packed for one kernel path still give the bits of the path a later run takes.</summary>
[Collection(MyTorch.Tests.Kernels.KernelPathSerial.Name)] // changes KernelOptions.Path
public class CompiledInferenceFrozenPathTests
{
    [Fact]
    public void FrozenWeights_FollowAChangeOfKernelPath()
    {
        var model = CompiledInferenceTests.FreezableNetwork(DType.Float32, 25);
        var x = Tensor.Normal([40, 900], 0, 1, new Generator(10));
        var inference = CompiledInference.Compile(model).FreezeWeights(); // packed for the default path
        foreach (var path in MyTorch.Tests.Kernels.KernelPaths.Supported)
        {
            MyTorch.Tests.Kernels.KernelPaths.Run(path, () =>
            {
                model.Eval();
                float[] expected;
                using (Autograd.NoGrad()) expected = model.Forward(x).ToArray<float>();
                model.Train();
                Assert.Equal(expected, inference.Run(x).ToArray<float>());
            });
        }
    }
}
