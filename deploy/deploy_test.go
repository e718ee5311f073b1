// Package deploy holds the manifests that run a sharded hunt (Kubernetes,
// AWS Batch) and its IAM policy; its test decodes each strictly.
package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"go.yaml.in/yaml/v3"
)

// The Kubernetes fields the manifests use, by their API names: decoding
// with KnownFields refuses any other (a typo, a field at the wrong level).
// k8s.io/api is not a dependency (see the README); these mirror batch/v1.
type (
	k8sJob struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   k8sMeta    `yaml:"metadata"`
		Spec       k8sJobSpec `yaml:"spec"`
	}
	k8sMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	k8sJobSpec struct {
		CompletionMode       string      `yaml:"completionMode"`
		Completions          *int        `yaml:"completions"`
		Parallelism          *int        `yaml:"parallelism"`
		BackoffLimit         *int        `yaml:"backoffLimit"`
		BackoffLimitPerIndex *int        `yaml:"backoffLimitPerIndex"`
		Template             k8sTemplate `yaml:"template"`
	}
	k8sTemplate struct {
		Metadata k8sMeta    `yaml:"metadata"`
		Spec     k8sPodSpec `yaml:"spec"`
	}
	k8sPodSpec struct {
		RestartPolicy      string         `yaml:"restartPolicy"`
		ServiceAccountName string         `yaml:"serviceAccountName"`
		Containers         []k8sContainer `yaml:"containers"`
		Volumes            []k8sVolume    `yaml:"volumes"`
	}
	k8sContainer struct {
		Name      string   `yaml:"name"`
		Image     string   `yaml:"image"`
		Args      []string `yaml:"args"`
		Env       []k8sEnv `yaml:"env"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	k8sEnv struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	}
	k8sVolume struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		EmptyDir *struct{} `yaml:"emptyDir"`
	}
)

func decodeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func decodeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func env(c k8sContainer, name string) (k8sEnv, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return k8sEnv{}, false
}

func TestKubernetes(t *testing.T) {
	var shards, reduce k8sJob
	decodeYAML(t, "kubernetes/shards-job.yaml", &shards)
	decodeYAML(t, "kubernetes/reduce-job.yaml", &reduce)
	for _, j := range []k8sJob{shards, reduce} {
		if j.APIVersion != "batch/v1" || j.Kind != "Job" || len(j.Spec.Template.Spec.Containers) != 1 || j.Spec.Template.Spec.RestartPolicy != "Never" {
			t.Errorf("%s: not a batch/v1 Job of one container that is never restarted in place", j.Metadata.Name)
		}
	}
	s := shards.Spec
	if s.CompletionMode != "Indexed" || s.Completions == nil || s.Parallelism == nil {
		t.Fatalf("shards: completionMode %q, completions and parallelism must be set", s.CompletionMode)
	}
	c := s.Template.Spec.Containers[0]
	n, ok := env(c, "TRAILSWEEP_SHARDS")
	if !ok || n.Value != itoa(*s.Completions) {
		t.Errorf("shards: TRAILSWEEP_SHARDS %q, want completions %d", n.Value, *s.Completions)
	}
	if i, ok := env(c, "JOB_COMPLETION_INDEX"); !ok || i.ValueFrom == nil || !strings.Contains(i.ValueFrom.FieldRef.FieldPath, "job-completion-index") {
		t.Error("shards: JOB_COMPLETION_INDEX does not come from the completion index annotation")
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"scan ", "--stage=s3://trailsweep-hunts/stage/", "--out=s3://trailsweep-hunts/out/", "--since=2026-", "--until=2026-"} {
		if !strings.Contains(args, want) {
			t.Errorf("shards: args lack %q: %s", want, args)
		}
	}
	rargs := strings.Join(reduce.Spec.Template.Spec.Containers[0].Args, " ")
	if !strings.HasPrefix(rargs, "reduce ") || !strings.Contains(rargs, "--stage=s3://trailsweep-hunts/stage/") || !strings.Contains(rargs, "--out=s3://trailsweep-hunts/out/") {
		t.Errorf("reduce: args %s", rargs)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestBatch(t *testing.T) {
	var def batch.RegisterJobDefinitionInput
	decodeJSON(t, "aws-batch/job-definition.json", &def)
	var shards, reduce batch.SubmitJobInput
	decodeJSON(t, "aws-batch/submit-shards.json", &shards)
	decodeJSON(t, "aws-batch/submit-reduce.json", &reduce)
	if def.JobDefinitionName == nil || *def.JobDefinitionName != *shards.JobDefinition || *shards.JobDefinition != *reduce.JobDefinition {
		t.Error("the submissions do not name the job definition")
	}
	if shards.ArrayProperties == nil || shards.ArrayProperties.Size == nil || *shards.ArrayProperties.Size < 2 {
		t.Fatal("submit-shards is not an array job")
	}
	size := itoa(int(*shards.ArrayProperties.Size))
	for _, e := range append(def.ContainerProperties.Environment, shards.ContainerOverrides.Environment...) {
		if *e.Name == "AWS_BATCH_JOB_ARRAY_SIZE" && *e.Value != size {
			t.Errorf("AWS_BATCH_JOB_ARRAY_SIZE %s, array size %s", *e.Value, size)
		}
	}
	cmd := strings.Join(def.ContainerProperties.Command, " ")
	for _, want := range []string{"scan s3://", "--stage s3://trailsweep-hunts/stage/", "--out s3://trailsweep-hunts/out/"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("job definition: command lacks %q: %s", want, cmd)
		}
	}
	if len(reduce.DependsOn) != 1 || reduce.ContainerOverrides == nil || reduce.ContainerOverrides.Command[0] != "reduce" {
		t.Error("submit-reduce: must depend on the array job and run reduce")
	}
}

// TestIAMPolicy: the policy grants what a hunt needs and nothing else.
func TestIAMPolicy(t *testing.T) {
	var p struct {
		Version   string
		Statement []struct {
			Sid       string
			Effect    string
			Action    []string
			Resource  []string
			Condition map[string]map[string]any
		}
	}
	decodeJSON(t, "iam-policy.json", &p)
	if p.Version != "2012-10-17" {
		t.Errorf("Version %q", p.Version)
	}
	allowed := []string{"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "kms:Decrypt"}
	var got []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			t.Errorf("%s: effect %q", s.Sid, s.Effect)
		}
		for _, a := range s.Action {
			if !slices.Contains(allowed, a) {
				t.Errorf("%s: action %s is more than a hunt needs", s.Sid, a)
			}
			got = append(got, a)
		}
		for _, r := range s.Resource {
			if r == "*" || strings.HasSuffix(r, ":::*") {
				t.Errorf("%s: resource %s is unbounded", s.Sid, r)
			}
		}
	}
	for _, a := range allowed {
		if !slices.Contains(got, a) {
			t.Errorf("no statement allows %s", a)
		}
	}
}
