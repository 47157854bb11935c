using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// The differential test: replays the seeded random programs of fixtures/random_programs.json (written by
/// tests/reference/generate_random_programs.py, which documents the format) through MyTorch in float64. The output
/// and the gradient of every input must match PyTorch's: within a relative tolerance for finite numbers, and with
/// NaN, +inf and -inf in exactly the same places.
/// </summary>
public class RandomProgramTests
{
    // |mine - torch| <= Relative * max(|torch|, Floor). The floor covers results that cancel to about 0 (x - mean,
    // a gradient summed back from terms of both signs), whose rounding is that of the terms, not of the result.
    private const double Relative = 1e-12;
    private const double Floor = 1e-3;
    private const int MinimumPrograms = 200;

    private static readonly Lazy<Dictionary<string, JsonElement>> Programs =
        new(() => FixtureFile.LoadNamedCases("random_programs.json"));

    public static TheoryData<string> ProgramNames() => FixtureFile.Names(Programs.Value.Keys);

    [Fact]
    public void FixtureHasEnoughPrograms() =>
        Assert.True(Programs.Value.Count >= MinimumPrograms,
            $"random_programs.json has {Programs.Value.Count} programs; expected at least {MinimumPrograms}.");

    [Theory]
    [MemberData(nameof(ProgramNames))]
    public void MatchesPyTorch(string name)
    {
        var program = Programs.Value[name];
        var values = new List<Tensor>();
        var inputs = new List<Tensor>();
        foreach (var op in program.GetProperty("ops").EnumerateArray())
        {
            var value = Apply(op, values);
            if (op.GetProperty("op").GetString() == "input") inputs.Add(value);
            values.Add(value);
        }
        var output = values[^1];
        var gradOutput = Read(program.GetProperty("grad_output"));
        output.Backward(gradOutput);

        var description = Describe(program);
        Compare(name, "output", program.GetProperty("output"), output, description);
        var grads = program.GetProperty("grads").EnumerateArray().ToList();
        Assert.Equal(grads.Count, inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
            Compare(name, $"gradient of input {i}", grads[i], inputs[i].Grad ?? Tensor.ZerosLike(inputs[i]), description);
    }

    private static Tensor Apply(JsonElement op, List<Tensor> values)
    {
        string kind = op.GetProperty("op").GetString()!;
        if (kind == "input") return Read(op, requiresGrad: true);
        var args = op.GetProperty("args").EnumerateArray().Select(a => values[a.GetInt32()]).ToArray();
        var x = args[0];
        return kind switch
        {
            "neg" => -x,
            "exp" => x.Exp(),
            "log" => x.Log(),
            "sqrt" => x.Sqrt(),
            "abs" => x.Abs(),
            "tanh" => x.Tanh(),
            "sigmoid" => x.Sigmoid(),
            "relu" => x.Relu(),
            "add_scalar" => x + op.GetProperty("value").GetDouble(),
            "pow" => x.Pow(op.GetProperty("exponent").GetDouble()),
            "clamp" => x.Clamp(Optional(op, "min"), Optional(op, "max")),
            "add" => x + args[1],
            "sub" => x - args[1],
            "mul" => x * args[1],
            "div" => x / args[1],
            "maximum" => Tensor.Maximum(x, args[1]),
            "minimum" => Tensor.Minimum(x, args[1]),
            "matmul" => Tensor.MatMul(x, args[1]),
            "sum" => Dim(op) is int d ? x.Sum(d, KeepDim(op)) : x.Sum(),
            "mean" => Dim(op) is int d ? x.Mean(d, KeepDim(op)) : x.Mean(),
            "max" => Dim(op) is int d ? x.Max(d, KeepDim(op)) : x.Max(),
            "min" => Dim(op) is int d ? x.Min(d, KeepDim(op)) : x.Min(),
            "var" => Dim(op) is int d ? x.Var(d, KeepDim(op)) : x.Var(),
            "logsumexp" => x.LogSumExp((int)Dim(op)!, KeepDim(op)),
            "softmax" => x.Softmax((int)Dim(op)!),
            "log_softmax" => x.LogSoftmax((int)Dim(op)!),
            "reshape" => x.Reshape(op.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray()),
            "transpose" => x.Transpose(op.GetProperty("dim0").GetInt32(), op.GetProperty("dim1").GetInt32()),
            _ => throw new InvalidDataException($"random_programs.json: unknown op '{kind}'."),
        };
    }

    private static double? Optional(JsonElement op, string property) =>
        op.GetProperty(property).ValueKind == JsonValueKind.Null ? null : op.GetProperty(property).GetDouble();

    private static int? Dim(JsonElement op) =>
        op.GetProperty("dim").ValueKind == JsonValueKind.Null ? null : op.GetProperty("dim").GetInt32();

    private static bool KeepDim(JsonElement op) => op.GetProperty("keepdim").GetBoolean();

    private static double[] Data(JsonElement spec) =>
        spec.GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString() switch
            {
                "inf" => double.PositiveInfinity,
                "-inf" => double.NegativeInfinity,
                "nan" => double.NaN,
                var other => throw new InvalidDataException($"random_programs.json: unknown value '{other}'."),
            }
            : e.GetDouble()).ToArray();

    private static Tensor Read(JsonElement spec, bool requiresGrad = false) =>
        Tensor.FromArray(Data(spec), FixtureFile.ShapeOf(spec), requiresGrad);

    private static string Describe(JsonElement program) =>
        string.Join(" -> ", program.GetProperty("ops").EnumerateArray()
            .Select(op => op.GetProperty("op").GetString())
            .Where(op => op != "input"));

    private static void Compare(string name, string what, JsonElement expected, Tensor actual, string description)
    {
        FixtureFile.AssertShape(name, what, expected, actual);
        var want = Data(expected);
        var got = actual.ToArray<double>();
        var report = new StringBuilder();
        for (int i = 0; i < want.Length; i++)
        {
            bool same = double.IsNaN(want[i]) || double.IsInfinity(want[i]) || double.IsNaN(got[i]) || double.IsInfinity(got[i])
                ? want[i].Equals(got[i])
                : Math.Abs(got[i] - want[i]) <= Relative * Math.Max(Math.Abs(want[i]), Floor);
            if (!same)
                report.Append(CultureInfo.InvariantCulture, $" [{i}] MyTorch {got[i]:R}, PyTorch {want[i]:R};");
        }
        Assert.True(report.Length == 0, $"{name} ({description}): {what} differs:{report}");
    }
}
