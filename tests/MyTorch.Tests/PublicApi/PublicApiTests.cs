using PublicApiGenerator;
using Xunit;

namespace MyTorch.Tests.PublicApi;

/// <summary>
/// The library's public surface is MyTorch.approved.txt, line for line: every change to it is a deliberate, reviewed diff.
/// A change writes MyTorch.received.txt beside it; when the change is meant, copy that file over the approved one.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void ThePublicApiIsTheApprovedOne()
    {
        string api = typeof(Tensor).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false })
            .ReplaceLineEndings("\n");
        string folder = Path.Combine(FindRepositoryRoot(), "tests", "MyTorch.Tests", "PublicApi");
        string approvedPath = Path.Combine(folder, "MyTorch.approved.txt");
        string receivedPath = Path.Combine(folder, "MyTorch.received.txt");
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (api == approved)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        var ours = api.Split('\n');
        var theirs = approved.Split('\n');
        var added = ours.Except(theirs).Take(10).Select(l => "+ " + l.Trim());
        var removed = theirs.Except(ours).Take(10).Select(l => "- " + l.Trim());
        Assert.Fail($"The public API changed; {receivedPath} holds it. If the change is meant, copy it over {approvedPath}. " +
            "First differences:\n" + string.Join("\n", removed.Concat(added)));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MyTorch.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MyTorch.sln not found above {AppContext.BaseDirectory}.");
    }
}
