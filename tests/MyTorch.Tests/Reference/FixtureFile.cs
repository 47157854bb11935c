using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>
/// Reads a committed PyTorch fixture file (a JSON array of cases, each with a unique "name") and compares
/// MyTorch's tensors with the values in it.
/// </summary>
internal static class FixtureFile
{
    // float64: |mine - torch| <= 1e-10 * max(|torch|, 1).
    private const double Float64Relative = 1e-10;
    // float32: |mine - torch| <= 1e-5 * max(|torch|, 0.1) (relative, with an absolute floor of 1e-6).
    private const double Float32Relative = 1e-5;
    private const double Float32Floor = 0.1;
    private const int MaxReportedMismatches = 10;

    public static Dictionary<string, JsonElement> LoadNamedCases(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", fileName);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var cases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var element in document.RootElement.EnumerateArray())
        {
            string name = element.GetProperty("name").GetString()!;
            if (!cases.TryAdd(name, element.Clone()))
                throw new InvalidDataException($"{path}: case name '{name}' appears twice.");
        }
        return cases;
    }

    public static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names) data.Add(name);
        return data;
    }

    public static int[] ShapeOf(JsonElement spec) => spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static double[] DataOf(JsonElement spec) => spec.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>An int64 tensor when the spec says so (class indices), else a tensor of <paramref name="dtype"/>; float32 fixture values are exact float32 values, so the cast is exact.</summary>
    public static Tensor ToTensor(JsonElement spec, DType dtype, bool requiresGrad)
    {
        var shape = ShapeOf(spec);
        if (spec.TryGetProperty("dtype", out var kind) && kind.GetString() == "int64")
            return Tensor.FromArray(spec.GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray(), shape);
        var data = DataOf(spec);
        return dtype == DType.Float64
            ? Tensor.FromArray(data, shape, requiresGrad)
            : Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape, requiresGrad);
    }

    public static void AssertShape(string name, string what, JsonElement expected, Tensor actual)
    {
        var want = ShapeOf(expected);
        var got = actual.Shape.ToArray();
        Assert.True(want.SequenceEqual(got),
            $"{name}: {what} has shape {FormatShape(got)}, PyTorch's has shape {FormatShape(want)}.");
    }

    private static string FormatShape(int[] shape) => "(" + string.Join(", ", shape) + (shape.Length == 1 ? ",)" : ")");

    /// <summary>Every element within the dtype's tolerance of PyTorch's, or a failure listing the first mismatches.</summary>
    public static void AssertClose(string name, string what, JsonElement expected, Tensor actual, DType dtype)
    {
        var want = DataOf(expected);
        var got = actual.ToArray<double>();
        Assert.True(want.Length == got.Length, $"{name}: {what} has {got.Length} elements, PyTorch's has {want.Length}.");
        var report = new StringBuilder();
        int mismatches = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double tolerance = dtype == DType.Float64
                ? Float64Relative * Math.Max(Math.Abs(want[i]), 1)
                : Float32Relative * Math.Max(Math.Abs(want[i]), Float32Floor);
            double difference = Math.Abs(got[i] - want[i]);
            if (difference <= tolerance) continue;
            if (mismatches++ < MaxReportedMismatches)
                report.Append(CultureInfo.InvariantCulture,
                    $"{Environment.NewLine}  element {i}: MyTorch {got[i]:R}, PyTorch {want[i]:R} (|diff| {difference:G3} > tolerance {tolerance:G3})");
        }
        if (mismatches > 0)
            Assert.Fail($"{name}: {what} differs from PyTorch at {mismatches} of {want.Length} element(s):{report}");
    }
}
