package manifests

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// roles returns the ClusterRoles and Roles of a build, keyed "Kind namespace/name".
func roles(t *testing.T, objs []*unstructured.Unstructured) map[string][]rbacv1.PolicyRule {
	t.Helper()
	out := map[string][]rbacv1.PolicyRule{}
	for _, o := range objs {
		switch o.GetKind() {
		case "ClusterRole":
			var r rbacv1.ClusterRole
			if err := Convert(o, &r); err != nil {
				t.Fatal(err)
			}
			out["ClusterRole /"+r.Name] = r.Rules
		case "Role":
			var r rbacv1.Role
			if err := Convert(o, &r); err != nil {
				t.Fatal(err)
			}
			out["Role "+r.Namespace+"/"+r.Name] = r.Rules
		}
	}
	return out
}

// allows reports whether rules grant verb on group/resource (name "" for any
// name, i.e. a rule without resourceNames).
func allows(rules []rbacv1.PolicyRule, group, resource, name, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) &&
			(len(r.ResourceNames) == 0 || (name != "" && slices.Contains(r.ResourceNames, name))) {
			return true
		}
	}
	return false
}

func TestRBACLeastPrivilege(t *testing.T) {
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			all := roles(t, b.objs)
			configMapRules, secretRules, webhookRules := 0, 0, 0
			for id, rules := range all {
				for _, r := range rules {
					if slices.Contains(r.Resources, "validatingwebhookconfigurations") || slices.Contains(r.Resources, "mutatingwebhookconfigurations") {
						webhookRules++
						want := rbacv1.PolicyRule{
							APIGroups:     []string{"admissionregistration.k8s.io"},
							Resources:     []string{"validatingwebhookconfigurations"},
							ResourceNames: []string{WebhookConfigurationName},
							Verbs:         []string{"get", "patch", "update"},
						}
						if id != "ClusterRole /wva-manager-role" {
							t.Errorf("%s grants webhook configurations; only ClusterRole wva-manager-role may: %+v", id, r)
						}
						if diff := cmp.Diff(want, r); diff != "" {
							t.Errorf("%s webhook configuration rule: -want +got:\n%s", id, diff)
						}
					}
					for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
						if slices.Contains(list, "*") {
							t.Errorf("%s: wildcard in rule %+v", id, r)
						}
					}
					if !slices.Contains(r.APIGroups, "") {
						continue
					}
					if slices.Contains(r.Resources, "secrets") {
						secretRules++
						// The webhook's certificate Secret only: read by name
						// and updated, never listed, watched or created.
						want := rbacv1.PolicyRule{
							APIGroups:     []string{""},
							Resources:     []string{"secrets"},
							ResourceNames: []string{WebhookSecretName},
							Verbs:         []string{"get", "update"},
						}
						if id != "Role "+Namespace+"/wva-manager-role" {
							t.Errorf("%s grants secrets; only Role %s/wva-manager-role may: %+v", id, Namespace, r)
						}
						if diff := cmp.Diff(want, r); diff != "" {
							t.Errorf("%s Secret rule: -want +got:\n%s", id, diff)
						}
						continue
					}
					if !slices.Contains(r.Resources, "configmaps") {
						continue
					}
					configMapRules++
					if id != "Role "+Namespace+"/wva-manager-role" {
						t.Errorf("%s grants configmaps; only Role %s/wva-manager-role may: %+v", id, Namespace, r)
					}
					want := rbacv1.PolicyRule{
						APIGroups:     []string{""},
						Resources:     []string{"configmaps"},
						ResourceNames: []string{ConfigMapName},
						Verbs:         []string{"get", "list", "watch"},
					}
					if diff := cmp.Diff(want, r); diff != "" {
						t.Errorf("%s ConfigMap rule: -want +got:\n%s", id, diff)
					}
				}
			}
			if configMapRules != 1 {
				t.Errorf("%d rules grant configmaps, want exactly 1 (the controller must read %s)", configMapRules, ConfigMapName)
			}
			if secretRules != 1 {
				t.Errorf("%d rules grant secrets, want exactly 1 (the controller keeps the webhook certificate in %s)", secretRules, WebhookSecretName)
			}
			if webhookRules != 1 {
				t.Errorf("%d rules grant webhook configurations, want exactly 1 (the controller writes the caBundle of %s)", webhookRules, WebhookConfigurationName)
			}
		})
	}
}

// TestRBACGrantsWhatTheControllerNeeds guards the other direction: least
// privilege must not break reconciling, leader election or metrics auth.
func TestRBACGrantsWhatTheControllerNeeds(t *testing.T) {
	type grant struct{ role, group, resource, name, verb string }
	manager := "ClusterRole /wva-manager-role"
	var want []grant
	add := func(role, group, resource, name string, verbs ...string) {
		for _, v := range verbs {
			want = append(want, grant{role, group, resource, name, v})
		}
	}
	add(manager, "llmd.ai", "variantautoscalings", "", "get", "list", "watch")
	add(manager, "llmd.ai", "variantautoscalings/status", "", "get", "update", "patch")
	add(manager, "apps", "deployments/scale", "", "get", "update")
	add(manager, "apps", "statefulsets/scale", "", "get", "update")
	// The workload cache of the namespaces in use (package workloadcache).
	add(manager, "apps", "deployments", "", "get", "list", "watch")
	add(manager, "apps", "statefulsets", "", "get", "list", "watch")
	add(manager, "", "pods", "", "get", "list", "watch")
	// The event recorder writes through events.k8s.io only.
	add(manager, "events.k8s.io", "events", "", "create", "patch")
	add("Role "+Namespace+"/wva-manager-role", "", "configmaps", ConfigMapName, "get", "list", "watch")
	add("Role "+Namespace+"/wva-manager-role", "", "secrets", WebhookSecretName, "get", "update")
	add(manager, "admissionregistration.k8s.io", "validatingwebhookconfigurations", WebhookConfigurationName, "get", "update", "patch")
	leader := "Role " + Namespace + "/wva-leader-election-role"
	add(leader, "coordination.k8s.io", "leases", "", "get", "list", "watch", "create", "update", "patch", "delete")
	add(leader, "", "events", "", "create", "patch")
	add("ClusterRole /wva-metrics-auth-role", "authentication.k8s.io", "tokenreviews", "", "create")
	add("ClusterRole /wva-metrics-auth-role", "authorization.k8s.io", "subjectaccessreviews", "", "create")

	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			all := roles(t, b.objs)
			for _, g := range want {
				rules, ok := all[g.role]
				if !ok {
					t.Errorf("no %s in %v", g.role, names(b.objs))
					continue
				}
				if !allows(rules, g.group, g.resource, g.name, g.verb) {
					t.Errorf("%s does not grant %s on %s.%s (name %q)", g.role, g.verb, g.resource, g.group, g.name)
				}
			}
			reader := all["ClusterRole /wva-metrics-reader"]
			if diff := cmp.Diff([]rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}, reader); diff != "" {
				t.Errorf("ClusterRole wva-metrics-reader: -want +got:\n%s", diff)
			}
		})
	}
}

// TestRBACBindings checks that every role the controller needs is bound to its
// ServiceAccount, and that every binding refers to a role of the build.
func TestRBACBindings(t *testing.T) {
	wantBound := []string{
		"ClusterRole /wva-manager-role",
		"ClusterRole /wva-metrics-auth-role",
		"Role " + Namespace + "/wva-manager-role",
		"Role " + Namespace + "/wva-leader-election-role",
	}
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: ServiceAccountName, Namespace: Namespace}}
	for _, b := range renderAll(t) {
		t.Run(b.name, func(t *testing.T) {
			all := roles(t, b.objs)
			var bound []string
			for _, o := range b.objs {
				var ref rbacv1.RoleRef
				var subjects []rbacv1.Subject
				var role string
				switch o.GetKind() {
				case "ClusterRoleBinding":
					var crb rbacv1.ClusterRoleBinding
					if err := Convert(o, &crb); err != nil {
						t.Fatal(err)
					}
					ref, subjects, role = crb.RoleRef, crb.Subjects, "ClusterRole /"+crb.RoleRef.Name
				case "RoleBinding":
					var rb rbacv1.RoleBinding
					if err := Convert(o, &rb); err != nil {
						t.Fatal(err)
					}
					ref, subjects = rb.RoleRef, rb.Subjects
					role = ref.Kind + " " + rb.Namespace + "/" + ref.Name
					if ref.Kind == "ClusterRole" {
						role = "ClusterRole /" + ref.Name
					}
				default:
					continue
				}
				if _, ok := all[role]; !ok || ref.APIGroup != rbacv1.GroupName {
					t.Errorf("%s %s refers to %s (apiGroup %q), which is not in the build", o.GetKind(), o.GetName(), role, ref.APIGroup)
				}
				if diff := cmp.Diff(wantSubjects, subjects); diff != "" {
					t.Errorf("%s %s subjects: -want +got:\n%s", o.GetKind(), o.GetName(), diff)
				}
				bound = append(bound, role)
			}
			for _, r := range wantBound {
				if !slices.Contains(bound, r) {
					t.Errorf("%s is not bound to the controller's ServiceAccount (bound: %v)", r, bound)
				}
			}
		})
	}
}
