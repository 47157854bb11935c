using System.Text.Json;
using Xunit;

namespace MyTorch.Tests.Reference;

/// <summary>Reads a committed fixture file: a JSON array of cases, each with a unique "name".</summary>
internal static class FixtureFile
{
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
}
