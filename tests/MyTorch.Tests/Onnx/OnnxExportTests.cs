using MyTorch.NN;
using MyTorch.Onnx;
using Xunit;

namespace MyTorch.Tests.Onnx;

/// <summary>
/// Every layer and activation exported to ONNX, run in ONNX Runtime and in MyTorch's own importer, against MyTorch's
/// forward: to 1e-5, on batches of other sizes than the sample's (the batch dimension is dynamic).
/// </summary>
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-5;

    private static BatchNorm1d TrainedBatchNorm(int features, Generator generator)
    {
        var bn = new BatchNorm1d(features);
        bn.Train();
        using (Autograd.NoGrad())
            for (int i = 0; i < 5; i++) bn.Call(Tensor.Randn([16, features], generator: generator) * 2 + 1);
        using (Autograd.NoGrad())
        {
            bn.Gamma.MultiplyInPlace(1.5);
            bn.Beta.AddInPlace(Tensor.Full([features], 0.25), 1);
        }
        return bn;
    }

    public static TheoryData<string> ModelNames => new(Models.Keys);

    private static readonly Dictionary<string, Func<Generator, (Module Model, int[] Features)>> Models = new(StringComparer.Ordinal)
    {
        ["linear"] = g => (new Linear(4, 3, generator: g), [4]),
        ["linear-no-bias"] = g => (new Linear(4, 3, bias: false, generator: g), [4]),
        ["linear-3d-input"] = g => (new Sequential(new Linear(4, 5, generator: g), new ReLU(), new Linear(5, 2, generator: g)), [3, 4]),
        ["mlp-relu"] = g => (new Sequential(new Linear(6, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g)), [6]),
        ["batchnorm-dropout"] = g => (new Sequential(new Linear(5, 7, generator: g), TrainedBatchNorm(7, g), new Tanh(), new Dropout(0.4, g), new Linear(7, 2, generator: g)), [5]),
        ["layernorm"] = g => (new Sequential(new Linear(3, 6, generator: g), new LayerNorm(6), new GELU(), new Linear(6, 2, generator: g)), [3]),
        ["layernorm-no-affine"] = g => (new Sequential(new LayerNorm(4, eps: 1e-3, elementwiseAffine: false), new Linear(4, 2, generator: g)), [4]),
        ["residual"] = g => (new Sequential(new Linear(4, 5, generator: g), new Residual(new Sequential(new Linear(5, 5, generator: g), new SiLU())), new Linear(5, 2, generator: g)), [4]),
        ["identity"] = g => (new Sequential(new Identity(), new Dropout(0.5, g)), [3]),
        ["leaky-softplus-sigmoid"] = g => (new Sequential(new Linear(4, 6, generator: g), new LeakyReLU(0.2), new Linear(6, 6, generator: g), new Softplus(),
            new Linear(6, 4, generator: g), new Sigmoid()), [4]),
        ["output-constraints"] = g => (new Sequential(new Linear(3, 4, generator: g), new NegativeSoftplus(), new Linear(4, 2, generator: g), new Bounded(-2, 5)), [3]),
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Exported_models_match_in_onnx_runtime_and_on_reimport(string name)
    {
        var generator = new Generator(17);
        var (model, features) = Models[name](generator);
        var sample = Tensor.Randn([2, .. features], generator: generator);
        var bytes = OnnxExport.ToOnnxBytes(model, sample);
        Assert.True(model.IsTraining, "the export restores the training flag");

        var input = Tensor.Randn([7, .. features], generator: generator) * 3;
        model.Eval();
        Tensor expected;
        using (Autograd.NoGrad()) expected = model.Call(input);
        OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(bytes, "input", input), Tolerance, $"{name} in ONNX Runtime");
        OnnxRuntimeHarness.AssertClose(expected, OnnxModel.FromBytes(bytes).Run(input), Tolerance, $"{name} re-imported");
    }

    [Fact]
    public void Every_activation_module_exports()
    {
        var generator = new Generator(3);
        foreach (var activation in ActivationModules.Names)
        {
            var model = new Sequential(new Linear(3, 4, generator: generator), ActivationModules.Create(activation));
            var input = Tensor.Randn([5, 3], generator: generator) * 4;
            var bytes = OnnxExport.ToOnnxBytes(model, input);
            model.Eval();
            Tensor expected;
            using (Autograd.NoGrad()) expected = model.Call(input);
            OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(bytes, "input", input), Tolerance, activation);
            OnnxRuntimeHarness.AssertClose(expected, OnnxModel.FromBytes(bytes).Run(input), Tolerance, activation + " re-imported");
        }
    }

    [Fact]
    public void Float64_models_export_as_double()
    {
        var generator = new Generator(5);
        var model = new Sequential(new Linear(3, 4, dtype: DType.Float64, generator: generator), new Tanh(), new Linear(4, 2, dtype: DType.Float64, generator: generator));
        var input = Tensor.Randn([4, 3], generator: generator, dtype: DType.Float64);
        var bytes = OnnxExport.ToOnnxBytes(model, input);
        Tensor expected;
        model.Eval();
        using (Autograd.NoGrad()) expected = model.Call(input);
        var actual = OnnxRuntimeHarness.Run(bytes, "input", input);
        Assert.Equal(DType.Float64, actual.DType);
        OnnxRuntimeHarness.AssertClose(expected, actual, 1e-12, "float64");
        Assert.Equal(DType.Float64, OnnxModel.FromBytes(bytes).InputDType);
    }

    [Fact]
    public void Names_metadata_and_the_dynamic_batch_are_in_the_file()
    {
        var model = new Linear(4, 3, generator: new Generator(1));
        var options = new OnnxExportOptions { InputName = "features", OutputName = "logits" };
        options.Metadata["task"] = "test";
        var imported = OnnxModel.FromBytes(OnnxExport.ToOnnxBytes(model, Tensor.Zeros([1, 4]), options));
        Assert.Equal("features", imported.InputName);
        Assert.Equal(["logits"], imported.OutputNames);
        Assert.Equal([null, 4], imported.InputShape);
        Assert.Equal("test", imported.Metadata["task"]);
        Assert.Equal("MyTorch", imported.Producer);
    }

    [Fact]
    public void Preprocess_and_postprocess_nodes_surround_the_model()
    {
        var model = new Linear(2, 3, generator: new Generator(2));
        var options = new OnnxExportOptions
        {
            Preprocess = (g, x) => g.Add("Div", [x, g.Scalar(255, "divisor")], "normalize"),
            Postprocess = (g, y) => g.Add("Softmax", [y], "softmax", ("axis", 1L)),
            OutputName = "probabilities",
        };
        var bytes = OnnxExport.ToOnnxBytes(model, Tensor.Zeros([1, 2]), options);
        var raw = Tensor.FromArray(new float[] { 0, 255, 128, 64, 30, 200 }, [3, 2]);
        Tensor expected;
        using (Autograd.NoGrad()) expected = model.Call(raw / 255).Softmax(1);
        OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(bytes, "input", raw), Tolerance, "pre/post");
        OnnxRuntimeHarness.AssertClose(expected, OnnxModel.FromBytes(bytes).Run(raw), Tolerance, "pre/post re-imported");
    }

    private sealed class Unknown : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void A_module_without_an_onnx_form_is_named()
    {
        var model = new Sequential(new Linear(2, 2), new Unknown());
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.ToOnnxBytes(model, Tensor.Zeros([1, 2])));
        Assert.Contains("'1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_is_written_and_reads_back()
    {
        var model = new Sequential(new Linear(3, 2, generator: new Generator(4)), new ReLU());
        string path = Path.Combine(Path.GetTempPath(), $"mytorch-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path, Tensor.Zeros([1, 3]));
            var input = Tensor.Ones([2, 3]);
            Tensor expected;
            model.Eval();
            using (Autograd.NoGrad()) expected = model.Call(input);
            OnnxRuntimeHarness.AssertClose(expected, OnnxModel.Load(path).Run(input), Tolerance, "file");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Malformed_and_unsupported_files_give_clear_errors()
    {
        Assert.Throws<InvalidDataException>(() => OnnxModel.FromBytes([0x0A, 0xFF, 0xFF]));
        Assert.Throws<InvalidDataException>(() => OnnxModel.FromBytes([0x08, 0x08]));
        var bytes = OnnxExport.ToOnnxBytes(new Linear(2, 2), Tensor.Zeros([1, 2]), new OnnxExportOptions
        {
            Postprocess = (g, y) => g.Add("Hardmax", [y], "hardmax"),
        });
        var error = Assert.Throws<NotSupportedException>(() => OnnxModel.FromBytes(bytes));
        Assert.Contains("Hardmax", error.Message, StringComparison.Ordinal);
        var model = OnnxModel.FromBytes(OnnxExport.ToOnnxBytes(new Linear(2, 2), Tensor.Zeros([1, 2])));
        Assert.Throws<TensorShapeException>(() => model.Run(Tensor.Zeros([3, 5])));
    }
}
